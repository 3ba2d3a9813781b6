import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { PicomClientOptions } from './picom-nest-options.interface.js';

/**
 * Options of `PicomModule.register()`.
 *
 * @publicApi
 */
export interface PicomModuleOptions extends PicomClientOptions {
  /** Also provide the client under this token, for `@Inject(name)`. */
  clientName?: InjectionToken;
  /** Make the client injectable in every module. */
  isGlobal?: boolean;
}

/**
 * Creates client options for `PicomModule.registerAsync({ useClass })`.
 *
 * @publicApi
 */
export interface PicomOptionsFactory {
  createPicomOptions(): PicomClientOptions | Promise<PicomClientOptions>;
}

/**
 * Options of `PicomModule.registerAsync()`: one of `useFactory`, `useClass`, `useExisting`.
 *
 * @publicApi
 */
export interface PicomModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  clientName?: InjectionToken;
  isGlobal?: boolean;
  useFactory?: (...args: any[]) => PicomClientOptions | Promise<PicomClientOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useClass?: Type<PicomOptionsFactory>;
  useExisting?: Type<PicomOptionsFactory>;
}
