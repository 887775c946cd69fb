/**
 * The start of the bench's day: local midnight of `at`, as an ISO 8601 instant. "Today" on the
 * dashboard (the shift panel, the batch failures) and in `GET /api/v1/batches` starts here.
 */
export function startOfLocalDay(at: Date = new Date()): string {
  const midnight = new Date(at);
  midnight.setHours(0, 0, 0, 0);
  return midnight.toISOString();
}
