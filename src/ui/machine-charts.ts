import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../diagrams/machines.js';

/**
 * The statecharts the dashboard draws, read from the same machine definitions as the generated
 * diagrams (src/diagrams): a tree of states, each with its outgoing transitions, as plain JSON the
 * page turns into nested boxes. A state is named by its path from the root ("active.amChoking.choking"),
 * which is how the page matches it against an actor's current state value.
 */
export interface ChartState {
  key: string;
  /** Dot-separated path from the machine's root; '' for the root. */
  path: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string;
  /** "EVENT → target" lines, for the tooltip. */
  transitions: string[];
  states: ChartState[];
}

export interface Chart {
  /** The diagram name (src/diagrams/machines.ts), e.g. "tracker-client". */
  name: string;
  title: string;
  root: ChartState;
}

interface StateNodeLike {
  id: string;
  key: string;
  path: string[];
  type: ChartState['type'];
  states: Record<string, StateNodeLike>;
  initial?: { target?: readonly StateNodeLike[] };
  transitions: Map<string, readonly { eventType: string; target?: readonly StateNodeLike[]; guard?: unknown }[]>;
  always?: readonly { target?: readonly StateNodeLike[]; guard?: unknown }[];
  after: readonly { eventType: string; delay: string | number }[];
}

export function machineChart(name: string, machine: AnyStateMachine, title: string): Chart {
  return { name, title, root: chartState(machine.root as unknown as StateNodeLike) };
}

/** Every machine of the diagrams registry. */
export function allCharts(): Chart[] {
  return Object.entries(MACHINES).map(([name, { machine, title }]) => machineChart(name, machine, title));
}

/** The diagram name of a running actor's machine (by the machine's id), or undefined for non-machine actors. */
export function chartNameOf(logic: unknown): string | undefined {
  const id = (logic as { config?: { id?: unknown }; id?: unknown } | undefined)?.config?.id;
  return typeof id === 'string' ? NAME_BY_MACHINE_ID.get(id) : undefined;
}

const NAME_BY_MACHINE_ID = new Map(Object.entries(MACHINES).map(([name, { machine }]) => [machine.id, name]));

function chartState(node: StateNodeLike): ChartState {
  const transitions: string[] = [];
  const delays = new Map(node.after.map((t) => [t.eventType, t.delay]));
  for (const [eventType, list] of node.transitions) {
    const label = delays.has(eventType) ? `after ${String(delays.get(eventType))}` : readable(eventType);
    for (const t of list) transitions.push(`${label}${guardText(t.guard)} → ${targets(node, t.target)}`);
  }
  for (const t of node.always ?? []) transitions.push(`always${guardText(t.guard)} → ${targets(node, t.target)}`);
  const initial = node.initial?.target?.[0]?.key;
  return {
    key: node.key,
    path: node.path.join('.'),
    type: node.type,
    ...(initial === undefined ? {} : { initial }),
    transitions,
    states: Object.values(node.states).map(chartState),
  };
}

function targets(from: StateNodeLike, target: readonly StateNodeLike[] | undefined): string {
  if (!target?.length) return '(stays)';
  return target.map((t) => (t.path.length ? t.path.join('.') : from.key)).join(', ');
}

function readable(eventType: string): string {
  if (eventType.startsWith('xstate.done.actor.')) return 'invoked actor done';
  if (eventType.startsWith('xstate.error.actor.')) return 'invoked actor failed';
  return eventType;
}

function guardText(guard: unknown): string {
  if (!guard) return '';
  const name = typeof guard === 'string' ? guard : typeof guard === 'object' && 'type' in guard ? String((guard as { type: unknown }).type) : 'guard';
  return ` [${name}]`;
}

/** The paths of the states an actor is in, from its snapshot value: 'checking' or { active: { amChoking: 'choking', … } }. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (typeof value !== 'object' || value === null) return [];
  const paths: string[] = [];
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    paths.push(prefix + key);
    paths.push(...activePaths(inner, `${prefix}${key}.`));
  }
  return paths;
}
