/**
 * The services × methods shape of the fan-out stack. The bench's server and
 * client processes load a stack module with the URL only, so the orchestrator
 * hands the shape down through the environment (fork copies it).
 */
export interface FanoutShape {
  readonly services: number;
  readonly methods: number;
}

export const SHAPE_ENV = 'PICOM_GROWTH_SHAPE';

export function readShape(): FanoutShape {
  const raw = process.env[SHAPE_ENV];
  if (!raw) throw new Error(`${SHAPE_ENV} is not set: the fan-out stack runs under run-growth only`);
  return JSON.parse(raw) as FanoutShape;
}

export function serviceName(index: number): string {
  return `svc${index}`;
}

export function methodName(index: number): string {
  return `m${index}`;
}

/** Every subject of the shape, services outermost: calls walk all of them in turn. */
export function subjectsOf(shape: FanoutShape): string[] {
  const subjects: string[] = [];
  for (let s = 0; s < shape.services; s++) {
    for (let m = 0; m < shape.methods; m++) subjects.push(`${serviceName(s)}.${methodName(m)}`);
  }
  return subjects;
}
