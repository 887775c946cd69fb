import { decideEligibility } from '../domain/eligibility.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { ImageCatalog } from '../images/catalog.js';
import type { SessionDecision } from '../session/session-types.js';

/**
 * The bench's answer for an identified hub: the catalogue's latest image for its model if it is
 * older, finish as ALREADY_CURRENT if it is equal, or REJECTED with the reason. The image goes to
 * the worker as a view over shared memory.
 */
export function decideForHub(identity: HubIdentity, catalog: ImageCatalog): SessionDecision {
  const image = catalog.latestFor(identity.manufacturer, identity.model);
  const decision = decideEligibility(identity, image);
  switch (decision.action) {
    case 'flash':
      return { action: 'flash', image: { version: image!.version, sha256: image!.sha256, sizeBytes: image!.sizeBytes, data: image!.data } };
    case 'already-current':
      return { action: 'finish', result: 'ALREADY_CURRENT' };
    case 'refuse':
      return { action: 'finish', result: 'REJECTED', error: { code: decision.code, message: decision.reason } };
  }
}
