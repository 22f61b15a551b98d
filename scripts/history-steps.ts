/**
 * Where a backfill's orchestration time goes, from workflow histories' event times: each step's
 * durations (ms) collected by name, so a benchmark can print their medians. Pure.
 */
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';

type History = temporal.api.history.v1.IHistory;
type Event = temporal.api.history.v1.IHistoryEvent;

/** Step name → every duration seen, in ms. */
export type Steps = Record<string, number[]>;

const at = (e: Event) => tsToMs(e.eventTime);
const idOf = (e: Event) => Number(e.eventId);

function add(steps: Steps, name: string, ms: number): void {
  (steps[name] ??= []).push(ms);
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
}

/** Workflow tasks: scheduled → started (dispatch) and started → completed (the worker's turn). */
function workflowTasks(events: Event[], prefix: string, steps: Steps): void {
  const byId = new Map(events.map((e) => [idOf(e), e]));
  for (const e of events) {
    const started = e.workflowTaskStartedEventAttributes;
    if (started)
      add(steps, `${prefix} WFT dispatch`, at(e) - at(byId.get(Number(started.scheduledEventId))!));
    const completed = e.workflowTaskCompletedEventAttributes;
    if (completed) add(steps, `${prefix} WFT run`, at(e) - at(byId.get(Number(completed.startedEventId))!));
  }
}

/**
 * The parent's side: child initiated → started (the child's start) and started → the parent's
 * record of its end (the child's whole life), plus the parent's workflow tasks. Returns the
 * children's workflow IDs.
 */
export function parentSteps(history: History, steps: Steps): string[] {
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [idOf(e), e]));
  const ids: string[] = [];
  for (const e of events) {
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      add(steps, 'child start', at(e) - at(byId.get(Number(started.initiatedEventId))!));
      ids.push(started.workflowExecution!.workflowId!);
    }
    const completed = e.childWorkflowExecutionCompletedEventAttributes;
    if (completed) {
      const startedEvent = byId.get(Number(completed.startedEventId))!;
      add(steps, 'child life (parent view)', at(e) - at(startedEvent));
    }
  }
  workflowTasks(events, 'parent', steps);
  return ids;
}

/**
 * A child's side: its start → its first workflow task, each activity's dispatch (scheduled →
 * started) and run (started → completed), each workflow task, and completed → its own close.
 */
export function childSteps(history: History, steps: Steps): void {
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [idOf(e), e]));
  const first = events[0];
  const firstTask = events.find((e) => e.workflowTaskStartedEventAttributes);
  if (first && firstTask) add(steps, 'child first WFT', at(firstTask) - at(first));
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (started) add(steps, 'activity dispatch', at(e) - at(byId.get(Number(started.scheduledEventId))!));
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const name = byId.get(Number(completed.scheduledEventId))!.activityTaskScheduledEventAttributes!
        .activityType!.name!;
      add(steps, `activity run (${name})`, at(e) - at(byId.get(Number(completed.startedEventId))!));
    }
  }
  workflowTasks(events, 'child', steps);
  const last = events[events.length - 1];
  if (first && last) add(steps, 'child life (own view)', at(last) - at(first));
}

/**
 * When the completed activities of one type ran: from the earliest one's start to the latest one's
 * completion (epoch ms), e.g. the stretch of a partition's shards; undefined when none completed.
 */
export function activitySpan(history: History, name: string): { first: number; last: number } | undefined {
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [idOf(e), e]));
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    const completed = e.activityTaskCompletedEventAttributes;
    const scheduled = completed && byId.get(Number(completed.scheduledEventId));
    if (!completed || scheduled?.activityTaskScheduledEventAttributes?.activityType?.name !== name) continue;
    first = Math.min(first, at(byId.get(Number(completed.startedEventId))!));
    last = Math.max(last, at(e));
  }
  return last >= first ? { first, last } : undefined;
}
