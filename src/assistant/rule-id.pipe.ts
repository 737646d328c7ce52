import { Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../common/errors/domain.errors';

/** A rule id from the path; anything that is not one cannot name a rule, so it is a 404. */
@Injectable()
export class RuleIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,9}$/.test(value)) throw new NotFoundError('Rule not found');
    return Number(value);
  }
}
