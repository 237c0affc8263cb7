import { Type } from '@sinclair/typebox';
import { ROLES } from '../../../site/schema.ts';

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() });

export const UserBody = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
});

export const PointBody = Type.Object(
  { latDeg: Type.Number({ minimum: -90, maximum: 90 }), lonDeg: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);

/** GeoJSON is passed through as is; its shape is documented, not re-validated on the way out. */
export const GeoJsonBody = Type.Object({ type: Type.String() }, { additionalProperties: true });
