# Compiled Python loss terms: the Cython side of _program.h.
#
# gensim_losses.losses.tracing traces a Python term into a program of row-wise
# operations on one example's h; CompiledTerms lays it out for the C
# interpreter, and program_example runs it for one example and adds the
# terms' losses and gradient step. The kernels call program_example for
# every example (python_terms in _kernels.pxi); CompiledTerms.run calls the
# same function on given vectors, so that the program can be checked against
# the term's own numpy before training uses it.

cdef extern from "_program.h" nogil:
    enum:
        GL_REG_SCRATCH, GL_REG_CONST, GL_REG_ROW, GL_REG_HIDDEN
    enum:
        GL_OP_ADD, GL_OP_SUB, GL_OP_MUL, GL_OP_DIV, GL_OP_POW, GL_OP_MAX, GL_OP_MIN,
        GL_OP_GT, GL_OP_GE, GL_OP_LT, GL_OP_LE, GL_OP_EQ, GL_OP_NE, GL_OP_LOGADDEXP, GL_OP_ARCTAN2,
        GL_OP_NEG, GL_OP_ABS, GL_OP_SQRT, GL_OP_EXP, GL_OP_LOG, GL_OP_LOG1P, GL_OP_EXPM1, GL_OP_TANH,
        GL_OP_SIN, GL_OP_COS, GL_OP_ARCTAN, GL_OP_SIGN, GL_OP_SIGMOID, GL_OP_FLOOR, GL_OP_CEIL, GL_OP_RSQRT,
        GL_OP_WHERE, GL_OP_SUM, GL_OP_RMAX, GL_OP_RMIN, GL_OP_DOT, GL_OP_MATVEC, GL_OP_SLICE,
        GL_N_OPS
    ctypedef struct gl_instr:
        int32_t op, dst, a, b, c, n, sa, sb, sc, i0, i1, loss_only
        const float *mat
    ctypedef struct gl_program:
        int32_t n_instr, n_regs
        const gl_instr *code
        const int32_t *reg_kind
        const int32_t *reg_len
        const int64_t *reg_off
        const float *const *reg_base
        int64_t rows
        int32_t n_dynamic
        const int32_t *dynamic
    void gl_program_bind(const gl_program *p, float **ptr, float *scratch)
    int gl_program_run(const gl_program *p, float **ptr, const float *h, int64_t row, int with_loss)

PROGRAM_OPS = {
    "add": GL_OP_ADD, "sub": GL_OP_SUB, "mul": GL_OP_MUL, "div": GL_OP_DIV, "pow": GL_OP_POW, "max": GL_OP_MAX,
    "min": GL_OP_MIN, "gt": GL_OP_GT, "ge": GL_OP_GE, "lt": GL_OP_LT, "le": GL_OP_LE, "eq": GL_OP_EQ,
    "ne": GL_OP_NE, "logaddexp": GL_OP_LOGADDEXP, "arctan2": GL_OP_ARCTAN2, "neg": GL_OP_NEG, "abs": GL_OP_ABS,
    "sqrt": GL_OP_SQRT, "exp": GL_OP_EXP, "log": GL_OP_LOG, "log1p": GL_OP_LOG1P, "expm1": GL_OP_EXPM1,
    "tanh": GL_OP_TANH, "sin": GL_OP_SIN, "cos": GL_OP_COS, "arctan": GL_OP_ARCTAN, "sign": GL_OP_SIGN,
    "sigmoid": GL_OP_SIGMOID, "floor": GL_OP_FLOOR, "ceil": GL_OP_CEIL, "where": GL_OP_WHERE, "sum": GL_OP_SUM,
    "rmax": GL_OP_RMAX, "rmin": GL_OP_RMIN, "dot": GL_OP_DOT, "rsqrt": GL_OP_RSQRT, "matvec": GL_OP_MATVEC,
    "slice": GL_OP_SLICE,
}
assert len(PROGRAM_OPS) == GL_N_OPS

# what program_example reports
cdef enum:
    PY_OK, PY_NONFINITE, PY_ROWS, PY_EXCEPTION
PYTHON_STATUS = {"nonfinite": PY_NONFINITE, "rows": PY_ROWS, "exception": PY_EXCEPTION}
# Python terms one model can have (their losses have slots in Config.py_loss)
cdef enum:
    MAX_PYTHON_TERMS = 16


cdef struct TermOutputs:
    int32_t n                   # terms
    const int32_t *loss         # per term: the register of its loss
    const int32_t *scalar       # the register of its gradient's scalar factor, or -1
    const int32_t *vector       # the register of its gradient's vector
    const float *scale
    int32_t hidden              # the register of h (finite: its check is skipped)
    int32_t size                # the hidden width


cdef int program_example(const gl_program *p, float **ptr, const TermOutputs *o, const float *h, int64_t row,
                         int with_loss, float step, float weight, double *losses, float *grad,
                         int32_t *bad_term) noexcept nogil:
    """Run the program for one example: ``losses[k] += weight * (term k's loss)``
    (with ``with_loss``) and ``grad += step * (the sum of the terms' gradients)``.
    Checks every value it adds: a NaN or inf adds nothing and is reported
    (PY_NONFINITE, ``bad_term``), before ``grad`` has changed."""
    cdef int32_t k
    cdef float s, f
    cdef const float *v
    if gl_program_run(p, ptr, h, row, with_loss):
        return PY_ROWS
    for k in range(o.n):
        s = o.scale[k] * (ptr[o.scalar[k]][0] if o.scalar[k] >= 0 else 1.0)
        v = ptr[o.vector[k]]
        # a non-finite vector makes its dot with itself non-finite; h is finite (the kernels check scores)
        if not (-FLT_MAX <= s <= FLT_MAX) or (o.vector[k] != o.hidden and
                                               not (-FLT_MAX <= gl_dot(o.size, v, v) <= FLT_MAX)):
            bad_term[0] = k
            return PY_NONFINITE
        if with_loss:
            f = o.scale[k] * ptr[o.loss[k]][0]
            if not (-FLT_MAX <= f <= FLT_MAX):
                bad_term[0] = k
                return PY_NONFINITE
    for k in range(o.n):
        s = o.scale[k] * (ptr[o.scalar[k]][0] if o.scalar[k] >= 0 else 1.0)
        gl_axpy(o.size, step * s, ptr[o.vector[k]], grad)
        if with_loss:
            losses[k] += weight * o.scale[k] * ptr[o.loss[k]][0]
    return PY_OK


cdef class CompiledTerms:
    """A :class:`gensim_losses.losses.tracing.Program`, laid out for the kernels' interpreter.

    Holds every array the program points into. One instance serves every
    thread: each job binds its own registers (:meth:`registers`).
    """
    cdef gl_program prog
    cdef TermOutputs out
    cdef readonly int64_t scratch_size
    cdef readonly int32_t n_terms, hidden_size
    cdef readonly int64_t rows
    cdef list _keep  # the arrays the pointers point into
    cdef cnp.ndarray _code, _kind, _len, _off, _base, _dynamic, _outs, _scale

    def __init__(self, program):
        nodes = program.nodes
        grads, losses = program.live()
        live = grads | losses
        n = len(nodes)
        self._keep = []
        self._kind = np.zeros(n, np.int32)
        self._len = np.array([node.length for node in nodes], np.int32)
        self._off = np.zeros(n, np.int64)
        self._base = np.zeros(n, np.uintp)
        dynamic, offset, instructions = [], 0, []
        for i, node in enumerate(nodes):
            if node.op == "hidden":
                self._kind[i] = GL_REG_HIDDEN
                dynamic.append(i)
            elif node.op in ("const", "row"):
                values = np.ascontiguousarray(node.value, dtype=np.float32)
                self._keep.append(values)
                self._kind[i] = GL_REG_CONST if node.op == "const" else GL_REG_ROW
                self._base[i] = values.ctypes.data
                if node.op == "row":
                    dynamic.append(i)
            else:
                self._kind[i] = GL_REG_SCRATCH
                self._off[i] = offset
                offset += node.length
                if i in live:
                    instructions.append(i)
        self.scratch_size = max(offset, 1)
        self._dynamic = np.array(dynamic or [0], np.int32)
        self._code = np.zeros(max(len(instructions), 1) * sizeof(gl_instr), np.uint8)
        cdef gl_instr *code = <gl_instr *>cnp.PyArray_DATA(self._code)
        cdef int32_t k = 0
        for i in instructions:
            node = nodes[i]
            args = list(node.args) + [-1] * (3 - len(node.args))
            strides = list(node.strides) + [0] * (3 - len(node.strides))
            code[k].op = PROGRAM_OPS[node.op]
            code[k].dst = i
            code[k].a, code[k].b, code[k].c = args[0], args[1], args[2]
            code[k].n = node.length
            code[k].sa, code[k].sb, code[k].sc = strides[0], strides[1], strides[2]
            code[k].i0 = node.imm[0] if node.op == "slice" else 0
            code[k].i1 = node.imm[1] if node.op == "slice" else 0
            code[k].loss_only = i in losses
            code[k].mat = NULL
            if node.op == "matvec":
                matrix = np.ascontiguousarray(node.value, dtype=np.float32)
                self._keep.append(matrix)
                code[k].mat = <const float *>cnp.PyArray_DATA(matrix)
            k += 1
        self.prog.n_instr = k
        self.prog.n_regs = n
        self.prog.code = code
        self.prog.reg_kind = <int32_t *>cnp.PyArray_DATA(self._kind)
        self.prog.reg_len = <int32_t *>cnp.PyArray_DATA(self._len)
        self.prog.reg_off = <int64_t *>cnp.PyArray_DATA(self._off)
        self.prog.reg_base = <const float *const *>cnp.PyArray_DATA(self._base)
        self.prog.rows = program.rows
        self.prog.n_dynamic = len(dynamic)
        self.prog.dynamic = <int32_t *>cnp.PyArray_DATA(self._dynamic)
        self.rows = program.rows
        outputs = program.outputs
        if len(outputs) > MAX_PYTHON_TERMS:
            raise ValueError(f"at most {MAX_PYTHON_TERMS} Python terms, got {len(outputs)}: combine some")
        self._outs = np.array([[f, -1 if s is None else s, v] for f, s, v, _ in outputs], np.int32).reshape(-1, 3)
        self._outs = np.ascontiguousarray(self._outs.T)
        self._scale = np.array([scale for *_, scale in outputs], np.float32)
        self.n_terms = len(outputs)
        self.hidden_size = nodes[0].length
        self.out.n = self.n_terms
        self.out.loss = <int32_t *>cnp.PyArray_DATA(self._outs)
        self.out.scalar = self.out.loss + self.n_terms
        self.out.vector = self.out.loss + 2 * self.n_terms
        self.out.scale = <float *>cnp.PyArray_DATA(self._scale)
        self.out.hidden = 0
        self.out.size = self.hidden_size

    def registers(self):
        """Room for one thread's registers: ``(pointer table, scratch)``."""
        return np.zeros(self.prog.n_regs, np.uintp), np.zeros(self.scratch_size, np.float32)

    def run(self, h, rows, bint with_loss=True):
        """The terms on given vectors: ``h[i]`` as example ``rows[i]``'s h.

        Returns ``(losses (m, terms) float64, gradient (m, d) float32, status (m,) int)``,
        computed by the kernels' own :func:`program_example`, status 0 where it succeeded.
        """
        cdef cnp.ndarray hv = np.ascontiguousarray(h, dtype=np.float32)
        cdef cnp.ndarray rv = np.ascontiguousarray(rows, dtype=np.int64)
        if hv.ndim != 2 or hv.shape[1] != self.hidden_size or rv.ndim != 1 or rv.shape[0] != hv.shape[0]:
            raise ValueError(f"run() needs h of shape (m, {self.hidden_size}) and m rows")
        cdef int64_t m = hv.shape[0], d = self.hidden_size, k = max(self.n_terms, 1), i
        cdef cnp.ndarray losses = np.zeros((m, k), np.float64)
        cdef cnp.ndarray grads = np.zeros((m, d), np.float32)
        cdef cnp.ndarray status = np.zeros(m, np.int32)
        ptr, scratch = self.registers()
        cdef float **p = <float **>cnp.PyArray_DATA(ptr)
        gl_program_bind(&self.prog, p, <float *>cnp.PyArray_DATA(scratch))
        cdef int32_t bad = 0
        cdef const float *hp = <float *>cnp.PyArray_DATA(hv)
        cdef const int64_t *rp = <int64_t *>cnp.PyArray_DATA(rv)
        cdef double *lp = <double *>cnp.PyArray_DATA(losses)
        cdef float *gp = <float *>cnp.PyArray_DATA(grads)
        cdef int32_t *sp = <int32_t *>cnp.PyArray_DATA(status)
        for i in range(m):
            sp[i] = program_example(&self.prog, p, &self.out, hp + i * d, rp[i], with_loss, 1.0, 1.0,
                                    lp + i * k, gp + i * d, &bad)
        return losses[:, :self.n_terms], grads, status
