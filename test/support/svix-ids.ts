/**
 * Svix message ids (`msg_` + a KSUID) minted by an independent KSUID implementation, the `ksuid`
 * package (Segment-compatible), so that the receiver's decoder is checked against someone else's
 * encoder rather than its own.
 */
import KSUID from 'ksuid';

/** A Svix message id created at `at` (KSUIDs keep whole seconds). */
export function svixMessageId(at: Date): string {
  return `msg_${KSUID.randomSync(at).string}`;
}
