"""Training: the job loop over the kernels (:mod:`.engine`), the hybrid path for Python terms
(:mod:`.hybrid`), the exact one-example-at-a-time path (:mod:`.reference`), the held-out loss
(:mod:`.heldout`), the parallel vocabulary scan (:mod:`.scan`) and the checks of numeric settings
(:mod:`.settings`)."""
