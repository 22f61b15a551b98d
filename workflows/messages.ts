/**
 * The workflows' messages. Each control operation of the parent exists as an update (validated and
 * acknowledged, used by the CLI) and as a signal of the same name (for the Temporal UI's
 * "Send Signal"). Inputs are plain JSON so they can be typed into the UI.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ShardStats } from '../common/types';
import type { BackfillProgress, ProgressRequest } from './state';

export interface PartitionsInput {
  /** Partition keys, e.g. ["2019-03"]. */
  partitions?: string[];
}

export interface RetryInput extends PartitionsInput {
  /** Retry every failed and cancelled partition. */
  failed?: boolean;
}

export interface ConcurrencyInput {
  maxConcurrency: number;
}

/** What a control update did: the partitions it affected. */
export interface ControlResult {
  affected: string[];
}

export const progressQuery = defineQuery<BackfillProgress, [ProgressRequest?]>('progress');

/**
 * A sharded partition's child: shards done / total and who staged them, while it runs (`status`
 * asks; the parent learns them only from the child's result).
 */
export const shardProgressQuery = defineQuery<ShardStats>('shardProgress');

export const cancelPartitionsUpdate = defineUpdate<ControlResult, [PartitionsInput]>('cancelPartitions');
export const retryPartitionsUpdate = defineUpdate<ControlResult, [RetryInput]>('retryPartitions');
export const pauseUpdate = defineUpdate<ControlResult, []>('pause');
export const resumeUpdate = defineUpdate<ControlResult, []>('resume');
export const setMaxConcurrencyUpdate = defineUpdate<ControlResult, [ConcurrencyInput]>('setMaxConcurrency');

export const cancelPartitionsSignal = defineSignal<[PartitionsInput]>('cancelPartitions');
export const retryPartitionsSignal = defineSignal<[RetryInput]>('retryPartitions');
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const setMaxConcurrencySignal = defineSignal<[ConcurrencyInput]>('setMaxConcurrency');
