/** The value of one Prometheus sample of a hub's /metrics (0 when absent), e.g. `switchboard_refused_total{reason="x"}`. */
export async function metric(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(' ')[0] ?? '';
    if (want.every((w) => labelText.includes(w))) return Number(line.split(' ').at(-1));
  }
  return 0;
}
