import type { RenderedAlert } from '../ports/index.js';

/** The member account x Region an organisation's alert is about. */
export interface AlertAccount {
  readonly account: string;
  readonly region: string;
}

/**
 * An alert of a member account, labelled so every channel names the account: the subject and
 * the Chatbot title start with `[<account> <region>]`, the text opens with an `Account:` line,
 * and `account` and `accountRegion` come first among the message attributes (SNS keeps only the
 * first ten, so a subscription filter on the account always sees it). The dedup key is the
 * member's own (its alert state lives under its results prefix).
 *
 * @example labelAlert(alert, { account: '111122223333', region: 'eu-west-1' }).subject
 * // '[111122223333 eu-west-1] PathGuard: …'
 */
export function labelAlert(alert: RenderedAlert, at: AlertAccount): RenderedAlert {
  const tag = `[${at.account} ${at.region}]`;
  const chatbot = alert.chatbot as {
    content?: Record<string, unknown>;
    metadata?: Record<string, unknown> & { additionalContext?: Record<string, unknown> };
  };
  return {
    ...alert,
    subject: `${tag} ${alert.subject}`,
    text: `Account: ${at.account} (${at.region})\n${alert.text}`,
    attributes: { account: at.account, accountRegion: at.region, ...alert.attributes },
    chatbot: {
      ...alert.chatbot,
      ...(chatbot.content
        ? { content: { ...chatbot.content, title: `${tag} ${String(chatbot.content.title ?? '')}` } }
        : {}),
      ...(chatbot.metadata
        ? {
            metadata: {
              ...chatbot.metadata,
              additionalContext: {
                ...chatbot.metadata.additionalContext,
                account: at.account,
                accountRegion: at.region,
              },
            },
          }
        : {}),
    },
  };
}
