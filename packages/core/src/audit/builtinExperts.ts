// The deterministic experts that ship with Costline, in the order their opinions are listed.
import { concreteExpert } from "./concreteExpert.ts"
import { costExpert } from "./costExpert.ts"
import type { Expert } from "./Expert.ts"
import { standardsExpert } from "./standardsExpert.ts"
import { structuralExpert } from "./structuralExpert.ts"
import { validatorExpert } from "./validatorExpert.ts"

export const builtinExperts: ReadonlyArray<Expert> = [
  structuralExpert,
  concreteExpert,
  costExpert,
  standardsExpert,
  validatorExpert
]
