/**
 * The delivery policies the stuck-reader scenario compares, each with the namespace the suite configures for it
 * on the hub it starts (`bench/targets.ts`); a hub started by hand needs the same `SWITCHBOARD_NAMESPACES`.
 */
export const STUCK_POLICIES = ['all', 'latest', 'drop-oldest'] as const;
export type StuckPolicy = (typeof STUCK_POLICIES)[number];

export function stuckNamespace(policy: StuckPolicy): string {
  return `bench-${policy}`;
}

/** `SWITCHBOARD_NAMESPACES` for a hub under the stuck-reader scenario. */
export const STUCK_NAMESPACES_JSON = JSON.stringify(
  Object.fromEntries(
    STUCK_POLICIES.map((p) => [stuckNamespace(p), { presence: false, delivery: { policy: p } }]),
  ),
);
