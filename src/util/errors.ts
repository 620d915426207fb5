/** Message of anything thrown, for logs and user-facing error text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
