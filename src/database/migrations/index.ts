import { CoreSchema1732240000000 } from './1732240000000-core-schema';

/** Every migration, oldest first. A module adding tables appends its migration here. */
export const migrations = [CoreSchema1732240000000];
