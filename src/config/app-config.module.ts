import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Settings } from './settings';

/** Typed access: `config.get('line', { infer: true })`. */
export type AppConfig = ConfigService<Settings, true>;

@Module({})
export class AppConfigModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => settings],
        }),
      ],
    };
  }
}
