import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { PicomOptionsError } from '../../errors/index.js';
import { PicomClient } from '../client/picom.client.js';
import { NEST_MESSAGES, PICOM_MODULE_OPTIONS } from '../constants.js';
import type {
  PicomModuleAsyncOptions,
  PicomModuleOptions,
  PicomOptionsFactory,
} from '../interfaces/picom-module-options.interface.js';
import type { PicomClientOptions } from '../interfaces/picom-nest-options.interface.js';

/**
 * Makes `PicomClient` injectable by class (and by `clientName` when given).
 * The client connects on first use and closes on application shutdown.
 *
 * @example
 * PicomModule.register({ servers: ['127.0.0.1:4222'] })
 * PicomModule.registerAsync({ inject: [ConfigService], useFactory: (c) => ({ servers: c.get('NATS') }) })
 *
 * @publicApi
 */
@Module({})
export class PicomModule {
  static register(options: PicomModuleOptions = {}): DynamicModule {
    const { clientName, isGlobal, ...clientOptions } = options;
    return PicomModule.assemble([{ provide: PICOM_MODULE_OPTIONS, useValue: clientOptions }], clientName, isGlobal);
  }

  static registerAsync(options: PicomModuleAsyncOptions): DynamicModule {
    return {
      ...PicomModule.assemble(PicomModule.asyncOptionsProviders(options), options.clientName, options.isGlobal),
      imports: options.imports ?? [],
    };
  }

  private static assemble(optionsProviders: Provider[], clientName?: PicomModuleOptions['clientName'], isGlobal?: boolean): DynamicModule {
    const providers: Provider[] = [
      ...optionsProviders,
      { provide: PicomClient, useFactory: (o: PicomClientOptions) => new PicomClient(o), inject: [PICOM_MODULE_OPTIONS] },
    ];
    const exported: NonNullable<DynamicModule['exports']> = [PicomClient];
    if (clientName !== undefined) {
      providers.push({ provide: clientName, useExisting: PicomClient });
      exported.push(clientName);
    }
    return { module: PicomModule, global: isGlobal ?? false, providers, exports: exported };
  }

  private static asyncOptionsProviders(options: PicomModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [{ provide: PICOM_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
    }
    const factoryClass = options.useClass ?? options.useExisting;
    if (!factoryClass) {
      throw new PicomOptionsError(NEST_MESSAGES.asyncOptionsMissing);
    }
    const fromFactory: Provider = {
      provide: PICOM_MODULE_OPTIONS,
      useFactory: (factory: PicomOptionsFactory) => factory.createPicomOptions(),
      inject: [factoryClass],
    };
    return options.useClass ? [fromFactory, { provide: options.useClass, useClass: options.useClass }] : [fromFactory];
  }
}
