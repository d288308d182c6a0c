export { TemplateError, type TemplateErrorCode } from './errors.ts';
export { hostPlatform } from './image/parse.ts';
export type { ConfigFile, Descriptor, ImageConfig, Platform } from './image/types.ts';
export { familiarName, parseReference, type Reference } from './reference.ts';
export type { RegistryOptions } from './registry/client.ts';
export type { Credentials } from './registry/credentials.ts';
export type { PullOptions } from './registry/pull.ts';
export { type PushOptions, pushImage } from './registry/push.ts';
export { dockerEndpoint } from './sources/docker.ts';
export type { ImportOptions } from './sources/images.ts';
export { defaultStoreRoot } from './store/paths.ts';
export {
  type ImageInfo,
  openStore,
  type ProgressEvent,
  type PruneResult,
  Store,
  type StoreOptions,
} from './store/store.ts';
export type { ApplyStats, OwnerShift } from './unpack/apply.ts';
export { hasNativeZstd } from './unpack/decompress.ts';
export { type LayerFile, type UnpackOptions, unpackLayers } from './unpack/unpack.ts';
export type { XattrStats } from './unpack/xattrs.ts';
