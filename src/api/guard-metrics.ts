import { Counter, Gauge, type Registry } from 'prom-client';
import { GUARD_ACTION_KINDS } from '../domain/guard-action.js';
import type { GuardKeeper } from '../bench/guard-keeper.js';

export type GuardMetricsSource = Pick<GuardKeeper, 'view' | 'on'>;

const HELD = ['WAITING_CANARY', 'MODEL_HALTED', 'SLOT_SUSPECT'] as const;

/** Metrics of each quality guard (docs/quality-guards.md, "Metrics"). */
export function registerGuardMetrics(registry: Registry, guards: GuardMetricsSource): void {
  const registers = [registry];
  new Gauge({
    name: 'flashd_guard_models_halted',
    help: 'Device Model and image version pairs the model guard or a failed canary halted',
    registers,
    collect() {
      const v = guards.view();
      const halted = new Set([...v.models.filter((m) => m.halted), ...v.canaries.filter((c) => c.status === 'FAILED')].map((m) => `${m.model}/${m.version}`));
      this.set(halted.size);
    },
  });
  new Gauge({
    name: 'flashd_guard_canaries',
    help: 'Image canaries by status (RUNNING, PASSED, FAILED)',
    labelNames: ['status'],
    registers,
    collect() {
      const counts = new Map<string, number>([
        ['RUNNING', 0],
        ['PASSED', 0],
        ['FAILED', 0],
      ]);
      for (const c of guards.view().canaries) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'flashd_guard_slots_suspect',
    help: 'Slots the slot guard took out of service (SUSPECT or waiting for a self-test result)',
    registers,
    collect() {
      this.set(guards.view().slots.filter((s) => s.status !== 'IN_SERVICE').length);
    },
  });
  const actions = new Counter({
    name: 'flashd_guard_actions_total',
    help: 'Quality guard halts, passes and releases, by kind',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of GUARD_ACTION_KINDS) actions.inc({ kind }, 0);
  guards.on('action', (a) => actions.inc({ kind: a.kind }));
  const held = new Counter({ name: 'flashd_guard_held_total', help: 'Sessions a quality guard held back, by code', labelNames: ['code'], registers });
  for (const code of HELD) held.inc({ code }, 0);
  guards.on('held', (code) => held.inc({ code }));
}
