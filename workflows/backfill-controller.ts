/**
 * The parent workflow's state and rules, in the shape of the samples' safe-message-handlers
 * `ClusterManager`: `backfillWorkflow` registers the handlers and runs the loop; this class holds
 * the partitions, the control rules (cancel, retry, pause, throttle, re-queue), `progress`,
 * batching, the mapping of a child's outcome to partition status and stats, and the state carried
 * through continue-as-new. It makes no Temporal calls (the workflow hands it cancellation scopes,
 * a logger and workflow time), so unit tests drive it without a server.
 */
import type { Logger } from '@temporalio/common';
import { ApplicationFailure, type CancellationScope, type WorkflowIdReusePolicy } from '@temporalio/workflow';
import { batchesOf } from '../common/ids';
import type { BackfillSpec } from '../common/spec';
import { SKIPPED_REASON, childKeyOf, reusePolicy, settleBatch, type ChildSettlement } from './child-runs';
import type * as messages from './messages';
import {
  type BackfillProgress,
  type BackfillState,
  type BackfillSummary,
  type CarriedState,
  type MaintenanceOutcome,
  type PartitionState,
  type ProgressRequest,
  decodeState,
  encodeState,
  initialState,
  isTerminal,
  progressOf,
} from './state';

/** Events a run may reach before it drains and continues as new (Temporal warns at 10,240). */
const HISTORY_BUDGET = 9000;
/** Upper bound of history events one child adds to the parent (start, started, closed, tasks). */
const EVENTS_PER_CHILD = 6;
/** Up to this many children, a re-run asks up front which ones have finished (the list is one payload). */
export const UP_FRONT_CHECK_LIMIT = 10_000;
/** Up to this many partitions, the result lists them all. */
export const SUMMARY_PARTITIONS = 1000;
/** The UI's live details cost O(partitions) to render, so at most once a second of workflow time. */
const RENDER_INTERVAL_MS = 1000;

/** What cancels a running child: the workflow passes its `CancellationScope`. */
export type Canceller = Pick<CancellationScope, 'cancel'>;

export interface ControllerInput {
  backfillId: string;
  spec: BackfillSpec;
  /** The planned keys in run order (`plannedKeys`). */
  planned: string[];
  /** Partitions whose closed runs must run again regardless of spec.reprocess. */
  runAgain?: string[];
  /** The state carried through continue-as-new, if this run continues one. */
  carried?: CarriedState;
  /** Drain at this many history events instead of the budget derived from maxConcurrency. */
  historyBudget?: number;
  /** The workflow passes `log` from @temporalio/workflow (replay-aware). */
  logger: Pick<Logger, 'warn'>;
  /** Workflow time (Date.now in the workflow sandbox is deterministic). */
  now?: () => number;
}

export class BackfillController {
  readonly backfillId: string;
  readonly spec: BackfillSpec;
  readonly state: BackfillState;
  /** Children in flight. */
  running = 0;
  /** Set once the history budget is reached: no new children; continue as new when idle. */
  draining = false;
  private readonly now: () => number;
  private readonly byKey: Map<string, PartitionState>;
  private readonly cancellers = new Map<string, Canceller>();
  /** Partitions before this index are not pending (a retry re-queues by moving it back). */
  private nextIndex = 0;
  private renderedAt = -Infinity;

  constructor(private readonly input: ControllerInput) {
    this.backfillId = input.backfillId;
    this.spec = input.spec;
    this.now = input.now ?? (() => Date.now());
    this.state = input.carried
      ? decodeState(input.carried, input.planned, input.spec.checks ?? [])
      : initialState(input.planned, input.spec.maxConcurrency, input.runAgain ?? [], this.now());
    this.byKey = new Map(this.state.partitions.map((p) => [p.key, p]));
  }

  // --- progress ------------------------------------------------------------------------------

  /** `progress`: counts, totals and a page of the partitions (by status, offset, limit). */
  progress(request: ProgressRequest = {}): BackfillProgress {
    const phase = this.draining ? 'draining' : this.state.paused ? 'paused' : 'running';
    return progressOf(this.state, { backfillId: this.backfillId, phase }, request);
  }

  /** The workflow's result; it must fit in one payload: every partition when small, else the troubled ones. */
  summary(maintenance: MaintenanceOutcome): BackfillSummary {
    const summary =
      this.state.partitions.length <= SUMMARY_PARTITIONS
        ? this.progress()
        : this.progress({ statuses: ['failed', 'cancelled'], limit: SUMMARY_PARTITIONS });
    return { ...summary, state: 'finished', finishedAt: this.now(), maintenance };
  }

  /** Whether the UI's details are due (forced at the end). */
  renderDue(force = false): boolean {
    if (!force && this.now() - this.renderedAt < RENDER_INTERVAL_MS) return false;
    this.renderedAt = this.now();
    return true;
  }

  // --- control: validators throw (an update is rejected), handlers apply ----------------------

  validateCancel({ partitions = [] }: messages.PartitionsInput): void {
    if (!partitions.length) throw new Error('name at least one partition to cancel');
    this.lookup(partitions);
  }

  /** Pending partitions end as cancelled; running ones have their child cancelled (it rolls back). */
  cancelPartitions({ partitions = [] }: messages.PartitionsInput): messages.ControlResult {
    const affected: string[] = [];
    for (const p of this.lookup(partitions)) {
      if (p.status === 'pending') {
        p.status = 'cancelled';
        p.finishedAt = this.now();
        affected.push(p.key);
      } else if (p.status === 'running') {
        this.cancellers.get(p.key)?.cancel();
        affected.push(p.key);
      }
    }
    return { affected };
  }

  validateRetry({ partitions = [], failed }: messages.RetryInput): void {
    if (!partitions.length && !failed) throw new Error('name partitions to retry, or set failed: true');
    const busy = this.lookup(partitions).filter((p) => !isTerminal(p.status));
    if (busy.length)
      throw new Error(`not finished, cannot retry: ${busy.map((p) => `${p.key} (${p.status})`).join(', ')}`);
  }

  /** Re-queues finished partitions: pending again, forced past the reprocess mode, in plan order. */
  retryPartitions({ partitions = [], failed }: messages.RetryInput): messages.ControlResult {
    const chosen = new Set(this.lookup(partitions));
    if (failed)
      for (const p of this.state.partitions)
        if (p.status === 'failed' || p.status === 'cancelled') chosen.add(p);
    const affected: string[] = [];
    for (const p of chosen) {
      if (!isTerminal(p.status)) continue;
      p.status = 'pending';
      p.runAgain = true;
      delete p.lastError;
      affected.push(p.key);
      this.nextIndex = Math.min(this.nextIndex, this.state.partitions.indexOf(p));
    }
    return { affected };
  }

  setPaused(paused: boolean): messages.ControlResult {
    this.state.paused = paused;
    return { affected: [] };
  }

  validateConcurrency({ maxConcurrency }: messages.ConcurrencyInput): void {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 1000) {
      throw new Error('maxConcurrency must be an integer from 1 to 1000');
    }
  }

  setMaxConcurrency({ maxConcurrency }: messages.ConcurrencyInput): messages.ControlResult {
    this.state.maxConcurrency = maxConcurrency;
    return { affected: [] };
  }

  /**
   * A signal handler that validates first. Signals cannot be rejected, so a bad one (typed into the
   * UI) is logged as a warning naming the signal and the reason, and ignored rather than failing the run.
   */
  signalHandler<T>(name: string, validate: (arg: T) => void, apply: (arg: T) => unknown): (arg: T) => void {
    return (arg: T) => {
      try {
        validate(arg);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.input.logger.warn(`signal ${name} ignored: ${reason}`, { signal: name, reason });
        return;
      }
      apply(arg);
    };
  }

  private lookup(keys: string[] = []): PartitionState[] {
    const unknown = keys.filter((k) => !this.byKey.has(k));
    if (unknown.length)
      throw ApplicationFailure.create({
        message: `unknown partition(s): ${unknown.join(', ')}`,
        nonRetryable: true,
      });
    return keys.map((k) => this.byKey.get(k)!);
  }

  // --- the sliding window --------------------------------------------------------------------

  nextPending(): PartitionState | undefined {
    const { partitions } = this.state;
    while (this.nextIndex < partitions.length && partitions[this.nextIndex]!.status !== 'pending')
      this.nextIndex++;
    return partitions[this.nextIndex];
  }

  /** A child may start now: a free slot, not paused or draining, and work left. */
  canStart(): boolean {
    return (
      this.running < this.state.maxConcurrency &&
      !this.state.paused &&
      !this.draining &&
      this.nextPending() !== undefined
    );
  }

  /** Nothing runs, and either nothing is left or the run drains. */
  idle(): boolean {
    return this.running === 0 && (this.draining || this.nextPending() === undefined);
  }

  done(): boolean {
    return this.running === 0 && this.nextPending() === undefined;
  }

  /** History length at which this run drains and continues as new. */
  drainAt(): number {
    return (
      this.input.historyBudget ??
      Math.max(1000, HISTORY_BUDGET - EVENTS_PER_CHILD * this.state.maxConcurrency)
    );
  }

  /** The next pending partitions for one child, stopping at a gap so a batch stays contiguous. */
  nextBatch(): PartitionState[] {
    const batch: PartitionState[] = [];
    const { partitions } = this.state;
    for (let i = this.nextIndex; i < partitions.length && batch.length < this.spec.partitionsPerChild; i++) {
      const p = partitions[i]!;
      if (p.status !== 'pending') {
        if (batch.length) break;
        continue;
      }
      batch.push(p);
    }
    return batch;
  }

  /** Marks a batch running under its child's scope; returns the child's key and ID reuse policy. */
  startBatch(batch: PartitionState[], canceller: Canceller): { key: string; reuse: WorkflowIdReusePolicy } {
    for (const p of batch) {
      this.cancellers.set(p.key, canceller);
      p.status = 'running';
      p.runs += 1;
      p.startedAt = this.now();
    }
    const reuse = reusePolicy(batch, this.spec.reprocess);
    for (const p of batch) delete p.runAgain;
    this.running += 1;
    return { key: childKeyOf(batch), reuse };
  }

  /** Maps how a child ended onto its partitions' status and stats, and frees its slot. */
  finishBatch(batch: PartitionState[], settled: ChildSettlement): void {
    settleBatch(batch, settled);
    for (const p of batch) {
      p.finishedAt = this.now();
      this.cancellers.delete(p.key);
    }
    this.running -= 1;
  }

  // --- re-runs and continue-as-new -----------------------------------------------------------

  /** Batches a re-run may skip up front (untouched and not forced), or none past the check limit. */
  skipCandidates(): PartitionState[][] {
    const candidates = batchesOf(this.state.partitions, this.spec.partitionsPerChild).filter((b) =>
      b.every((p) => p.status === 'pending' && !p.runAgain),
    );
    return candidates.length > UP_FRONT_CHECK_LIMIT ? [] : candidates;
  }

  /** Marks the candidates at these indexes skipped, unless a control message got there first. */
  markFinished(candidates: PartitionState[][], finished: number[]): void {
    for (const i of finished)
      for (const p of candidates[i] ?? []) {
        if (p.status !== 'pending') continue;
        p.status = 'skipped';
        p.lastError = SKIPPED_REASON;
      }
  }

  /** The state the next run starts from: one generation later; with `carryChecks`, with the check outcomes. */
  carriedState(carryChecks = false): CarriedState {
    return encodeState(
      { ...this.state, generation: this.state.generation + 1 },
      this.input.planned,
      carryChecks ? (this.spec.checks ?? []) : undefined,
    );
  }
}
