// What a `flow-classify` piece (`classify --summary`) adds to a flow piece: the environment's index
// and path cache, built once per thread and kept from piece to piece. See file-piece-run.ts.
import { FlowPathMemo } from '../../shared/classify/flow-memo.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { type FlowPathCounts, flowPathCounter } from '../lib/flow-paths.js';

/** The environment index, built once per thread from the environment the CLI validated. */
let index: { key: string; idx: EnvironmentIndex } | null = null;

function environmentIndex(key: string, env: Environment | undefined): EnvironmentIndex {
  if (index?.key !== key) {
    if (env === undefined) throw new Error('a classify task came before its environment');
    index = { key, idx: buildEnvironmentIndex(env) };
  }
  return index.idx;
}

/** The path cache of the environment, one per thread, kept from piece to piece. */
let memo: { idx: EnvironmentIndex; memo: FlowPathMemo } | null = null;

function pathMemo(key: string, env: Environment | undefined): FlowPathMemo {
  const idx = environmentIndex(key, env);
  if (memo?.idx !== idx) memo = { idx, memo: new FlowPathMemo(idx) };
  return memo.memo;
}

/**
 * The parser callbacks that count a piece's records per path into `counts`: each kind of record
 * is classified once (FlowPathMemo), most lines are counted from their bytes without a record.
 */
export function classifyCounter(
  envKey: string,
  env: Environment | undefined,
  counts: FlowPathCounts,
): ReturnType<typeof flowPathCounter> {
  return flowPathCounter(pathMemo(envKey, env), counts);
}
