/** The text of anything thrown, for logs and manifests (internal: not part of the package's exports). */

/** An Error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
