import type { HanVariant } from '../src/images/manifest.js';

/**
 * A Device Model the bench re-flashes and its latest production image. Shared by the image
 * generator and the jig simulator, so the simulated hubs and the catalogue can never disagree.
 */
export interface DeviceModelDefinition {
  /** ZigBee manufacturer code, 4 upper-case hex digits. */
  manufacturer: string;
  manufacturerName: string;
  /** Device Model, 8 upper-case hex digits. */
  model: string;
  hanVariant: HanVariant;
  /** SMETS/CHTS version of the latest image (synthetic; the CPL gives the real one per firmware version). */
  smetsChtsVersion: string;
  /** Latest production firmware version, 8 upper-case hex digits (the OTA header file version). */
  latestVersion: string;
  /** Inclusive hardware version bounds of the latest image. */
  hardwareMin: number;
  hardwareMax: number;
}

/** The six Communications Hub models in scope of MP155: two HAN variants from each of three CSP suppliers. */
export const DEVICE_MODELS: readonly Readonly<DeviceModelDefinition>[] = Object.freeze(
  [
    {
      manufacturer: '1086',
      manufacturerName: 'Toshiba',
      model: '0101030B',
      hanVariant: 'Single Band',
      smetsChtsVersion: 'V1.3',
      latestVersion: '0002012F',
      hardwareMin: 1,
      hardwareMax: 4,
    },
    {
      manufacturer: '1086',
      manufacturerName: 'Toshiba',
      model: '0102030B',
      hanVariant: 'Dual Band',
      smetsChtsVersion: 'V1.3',
      latestVersion: '0002012F',
      hardwareMin: 1,
      hardwareMax: 4,
    },
    {
      manufacturer: '1178',
      manufacturerName: 'WNC',
      model: '0201040A',
      hanVariant: 'Single Band',
      smetsChtsVersion: 'V1.3',
      latestVersion: '00030107',
      hardwareMin: 2,
      hardwareMax: 6,
    },
    {
      manufacturer: '1178',
      manufacturerName: 'WNC',
      model: '0202040A',
      hanVariant: 'Dual Band',
      smetsChtsVersion: 'V1.3',
      latestVersion: '00030107',
      hardwareMin: 2,
      hardwareMax: 6,
    },
    {
      manufacturer: '106C',
      manufacturerName: 'EDMI',
      model: '0301050C',
      hanVariant: 'Single Band',
      smetsChtsVersion: 'V1.2',
      latestVersion: '0004000A',
      hardwareMin: 1,
      hardwareMax: 3,
    },
    {
      manufacturer: '106C',
      manufacturerName: 'EDMI',
      model: '0302050C',
      hanVariant: 'Dual Band',
      smetsChtsVersion: 'V1.2',
      latestVersion: '0004000A',
      hardwareMin: 1,
      hardwareMax: 3,
    },
  ].map((definition) => Object.freeze(definition as DeviceModelDefinition)),
);
