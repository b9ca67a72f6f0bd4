// What two cores of this machine can give at most (issue 16), measured before the "every core"
// rows are judged: the same fixed work on one thread and on two at once. On a virtual machine two
// vCPUs may share a host core, memory bandwidth or a turbo budget, and then two threads finish
// their two shares in more than the time of one: aggregate throughput below 2.0x. Two loops:
// integer arithmetic in registers (pure CPU) and copying a 64 MiB buffer over and over (memory
// bandwidth, past every private cache). The threads start first and then wait together for a
// signal, so thread start-up is not in the figure.

/**
 * The ceiling script, written to a file by the bench: `node SCRIPT cpu|mem N` runs the loop on N
 * worker threads at once and prints the seconds from the signal to the last thread's end.
 */
export const CEILING_SCRIPT = `import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
function loop(kind) {
  if (kind === 'cpu') {
    let x = 1;
    for (let i = 0; i < 2e8; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x;
  }
  // Allocated and touched before the signal: the copies measure bandwidth, not page faults.
  const a = Buffer.alloc(64 << 20, 1);
  const b = Buffer.alloc(64 << 20);
  parentPort.postMessage('ready');
  return new Promise((go) => parentPort.once('message', () => {
    for (let r = 0; r < 40; r++) a.copy(b);
    go(b[5]);
  }));
}
if (!isMainThread) {
  if (workerData === 'cpu') {
    parentPort.postMessage('ready');
    parentPort.once('message', () => parentPort.postMessage(loop('cpu')));
  } else {
    loop('mem').then((v) => parentPort.postMessage(v));
  }
} else {
  const [kind, n] = [process.argv[2], Number(process.argv[3])];
  const url = new URL(import.meta.url);
  const workers = Array.from({ length: n }, () => new Worker(url, { workerData: kind }));
  await Promise.all(workers.map((w) => new Promise((ok) => w.once('message', ok))));
  const t = performance.now();
  await Promise.all(workers.map((w) => new Promise((ok) => { w.once('message', ok); w.postMessage('go'); })));
  process.stdout.write(String((performance.now() - t) / 1000));
  await Promise.all(workers.map((w) => w.terminate()));
}
`;

/** Seconds printed by one run of the ceiling script (a child process per run). */
export type TimedRun = (argv: readonly string[]) => number;

/**
 * Aggregate throughput of two threads against one for `kind`: the runs alternate one thread, two
 * threads, `runs` pairs after a warm-up of each, and the figure is the median over pairs of
 * 2 x t(one) / t(two) (2.0 is two full cores; 1.0 is one core shared by both).
 */
export function twoThreadThroughput(
  run: TimedRun,
  script: string,
  kind: 'cpu' | 'mem',
  runs: number,
): { one: number; two: number; ratio: number } {
  const one = [process.execPath, script, kind, '1'];
  const two = [process.execPath, script, kind, '2'];
  run(one);
  run(two);
  const ones: number[] = [];
  const twos: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = run(one);
    const b = run(two);
    ones.push(a);
    twos.push(b);
    ratios.push((2 * a) / b);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { one: median(ones), two: median(twos), ratio: median(ratios) };
}
