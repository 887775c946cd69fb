export { ImageCatalog, MANIFEST_FILE, MANIFEST_SIGNATURE_FILE, type ImageCatalogOptions } from './catalog.js';
export { MAX_IMAGE_BYTES, loadCatalogImage, type CatalogImage } from './catalog-image.js';
export { HAN_VARIANTS, MANIFEST_SCHEMA_VERSION, parseManifest, validateManifest, type HanVariant, type Manifest, type ManifestImage } from './manifest.js';
export { verifyManifestSignature } from './manifest-signature.js';
export {
  OTA_BASE_HEADER_BYTES,
  OTA_FIELD_DESTINATION,
  OTA_FIELD_HARDWARE_VERSIONS,
  OTA_FIELD_SECURITY_CREDENTIAL,
  OTA_HEADER_STRING_BYTES,
  OTA_MAGIC,
  encodeOtaHeader,
  otaHeaderLengthFor,
  parseOtaHeader,
  type OtaHeader,
  type OtaHeaderFields,
} from './ota-header.js';
export { OTA_SUB_ELEMENT_HEADER_BYTES, OTA_TAG_ECDSA_SIGNATURE, OTA_TAG_UPGRADE_IMAGE, parseOtaSubElements, upgradeImageOf, type OtaSubElement } from './ota-sub-elements.js';
