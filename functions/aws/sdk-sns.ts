// What analyze takes from the SNS client, loaded on first use (most runs send no alert). A dynamic
// import of the package itself would keep every SNS command in the bundle: the bundler cannot tell
// which exports a module loaded at run time is asked for. Imported from here, only these are kept.
export { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
