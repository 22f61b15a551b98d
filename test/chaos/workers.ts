/** A small fleet of real worker processes that the chaos driver kills and replaces. */
import { uniqueId } from '../../testkit/fixtures';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';

export interface ChaosWorkers {
  taskQueue: string;
  /** SIGKILLs the longest-running worker (most likely mid-partition) and starts a replacement. */
  killOne: (random: () => number) => Promise<void>;
  /** Workers that exited without being killed (and were replaced). */
  unexpectedExits: () => number;
  stop: () => Promise<void>;
}

export function startChaosWorkers(options: {
  count: number;
  address: string;
  namespace: string;
  taskQueue?: string;
  env: Record<string, string>;
}): ChaosWorkers {
  const taskQueue = options.taskQueue ?? uniqueId('chaos');
  const server = { address: options.address, namespace: options.namespace };
  let stopping = false;
  let unexpected = 0;
  const slots: { worker: WorkerProcess; startedAt: number; killed: boolean }[] = [];

  const launch = (index: number) => {
    const worker = spawnWorker(server, taskQueue, options.env);
    const slot = { worker, startedAt: Date.now(), killed: false };
    slots[index] = slot;
    void worker.exited.then(() => {
      if (stopping || slot.killed) return;
      // A worker must never die on its own (e.g. while the server restarts); replace it and count it.
      unexpected += 1;
      launch(index);
    });
  };
  for (let i = 0; i < options.count; i++) launch(i);

  return {
    taskQueue,
    async killOne(random) {
      // Mostly the oldest (it holds tasks by now), sometimes any, including one just started.
      const byAge = [...slots.keys()].sort((a, b) => slots[a]!.startedAt - slots[b]!.startedAt);
      const i = random() < 0.75 ? byAge[0]! : byAge[Math.floor(random() * byAge.length)]!;
      const s = slots[i]!;
      s.killed = true;
      await s.worker.kill('SIGKILL');
      launch(i);
    },
    unexpectedExits: () => unexpected,
    async stop() {
      stopping = true;
      await Promise.all(
        slots.map(async ({ worker }) => {
          if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
          await worker.kill('SIGTERM');
        }),
      );
    },
  };
}
