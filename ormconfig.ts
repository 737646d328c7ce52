import 'reflect-metadata';
import { config as loadDotEnv } from 'dotenv';
import { DataSource } from 'typeorm';
import { loadSettings } from './src/config/settings';
import { dataSourceOptions } from './src/database/data-source-options';

loadDotEnv({ quiet: true });

/** The DataSource the TypeORM CLI uses (`npm run migration:run`); the app builds the same options. */
export default new DataSource(dataSourceOptions(loadSettings(process.env).database));
