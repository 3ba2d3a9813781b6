import type { Attributes } from '@opentelemetry/api';
import { TELEMETRY_ATTRIBUTES as A, TELEMETRY_OUTCOMES as O, TELEMETRY_VALUES as V } from './constants.js';

/** A `picom.outcome` value. */
export type TelemetryOutcome = (typeof O)[keyof typeof O];

/** Metric attribute sets, one per outcome: made once, recorded many times. */
export type ByOutcome = Readonly<Record<TelemetryOutcome, Attributes>>;

/**
 * What one method of a service records, made once per method (and once for
 * every unknown method of a service together): its span name and every metric
 * attribute set, so that a handled message allocates none.
 */
export class RouteTelemetry {
  /** `service.method`, or `_OTHER` for a method the route table does not know. */
  readonly name: string;
  readonly requests: ByOutcome;
  readonly publishes: ByOutcome;
  readonly active: Attributes;

  constructor(
    readonly service: string,
    /** `undefined` for unknown methods. */
    method: string | undefined,
  ) {
    this.name = method === undefined ? V.OTHER : `${service}.${method}`;
    this.requests = byOutcome({ [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM, [A.PICOM_SERVICE]: service, [A.RPC_METHOD]: this.name });
    this.publishes = byOutcome({
      [A.MESSAGING_SYSTEM]: V.MESSAGING_SYSTEM,
      [A.MESSAGING_OPERATION_NAME]: V.OPERATION_PROCESS,
      [A.MESSAGING_CONSUMER_GROUP_NAME]: service,
      [A.PICOM_SERVICE]: service,
      [A.MESSAGING_DESTINATION_NAME]: this.name,
    });
    this.active = Object.freeze({ [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM, [A.PICOM_SERVICE]: service });
  }
}

/** `base` with each `picom.outcome`, frozen. */
export function byOutcome(base: Attributes): ByOutcome {
  const sets = {} as Record<TelemetryOutcome, Attributes>;
  for (const outcome of Object.values(O)) {
    sets[outcome] = Object.freeze({ ...base, [A.PICOM_OUTCOME]: outcome });
  }
  return Object.freeze(sets);
}
