/* Compiled per-pixel kernels of the compositor: the same arithmetic as the numpy paths
 * of render/resample.py (bilinear 2x2 taps in 8-bit fixed point) and
 * render/transitions.py (cross-fade in 1/128 steps), bit for bit, without numpy's
 * temporaries and gathers.
 *
 * Optional: setuptools builds it where a C compiler is found (pyproject.toml,
 * ext-modules, optional = true), and render/native.py falls back to numpy without it.
 * Plain C99: the vertical pass and the blend are left to the compiler's vectoriser; the
 * horizontal pass reads a row that stays in L1 cache, with an SSSE3 byte shuffle where
 * the CPU has one (chosen at run time, GCC and Clang on x86) and a scalar loop elsewhere.
 * The GIL is released while a kernel runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>

static int
check_len(const Py_buffer *buf, Py_ssize_t need, const char *what)
{
    if (buf->len < need) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, needs %zd", what, buf->len, need);
        return -1;
    }
    return 0;
}

/* The horizontal pass of one row: out[x] from line[k[x]] and line[k[x] + 1]. */
static void
row_scalar(const uint8_t *line, const int32_t *k, const uint16_t *w, Py_ssize_t from,
           Py_ssize_t to, uint8_t *row)  /* w: the far tap's weights */
{
    for (Py_ssize_t x = from; x < to; x++) {
        const unsigned u1 = w[x];
        row[x] = (uint8_t)((line[k[x]] * (256 - u1) + line[k[x] + 1] * u1 + 128) >> 8);
    }
}

/* Groups of 8 output pixels whose taps lie within 16 bytes of the row (every group when
 * the view shrinks by less than about 1.9; mip levels keep it under 1.42): one unaligned
 * load, one byte shuffle that brings the 8 near and the 8 far taps, 16-bit multiplies.
 * A group whose taps spread wider has base -1 and takes the scalar loop. */
typedef struct {
    int32_t *base;    /* per group: first byte of its 16, or -1 */
    uint8_t *shuffle; /* per group: 16 byte indices (near taps, then far taps) */
    uint16_t *w0, *w1; /* per pixel: weights of the near and the far tap */
    Py_ssize_t groups;
} Plan;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_SSSE3 1
#include <immintrin.h>

static int have_ssse3 = 0;

__attribute__((target("ssse3"))) static void
row_ssse3(const uint8_t *line, const Plan *plan, const int32_t *k, uint8_t *row)
{
    const __m128i zero = _mm_setzero_si128(), half = _mm_set1_epi16(128);
    for (Py_ssize_t g = 0; g < plan->groups; g++) {
        const Py_ssize_t x = g * 8;
        if (plan->base[g] < 0) {
            row_scalar(line, k, plan->w1, x, x + 8, row);
            continue;
        }
        const __m128i src = _mm_loadu_si128((const __m128i *)(line + plan->base[g]));
        const __m128i taps = _mm_shuffle_epi8(
            src, _mm_loadu_si128((const __m128i *)(plan->shuffle + 16 * g)));
        const __m128i near = _mm_unpacklo_epi8(taps, zero), far = _mm_unpackhi_epi8(taps, zero);
        /* at most 255 * 256 + 128: fits in 16 unsigned bits */
        __m128i sum = _mm_add_epi16(
            _mm_mullo_epi16(near, _mm_loadu_si128((const __m128i *)(plan->w0 + x))),
            _mm_mullo_epi16(far, _mm_loadu_si128((const __m128i *)(plan->w1 + x))));
        sum = _mm_srli_epi16(_mm_add_epi16(sum, half), 8);
        _mm_storel_epi64((__m128i *)(row + x), _mm_packus_epi16(sum, sum));
    }
}
#endif

PyDoc_STRVAR(resample_doc,
"resample(src, src_height, src_width, rows, row_weights, cols, col_weights, out,\n"
"         out_height, out_width)\n"
"--\n\n"
"Bilinear 2x2 taps of an 8-bit plane (C-contiguous, src_height x src_width) into out\n"
"(out_height x out_width). rows/cols (intp): first source row/column of each output\n"
"row/column; row_weights/col_weights (uint16, 0..256): weight of the second one.\n"
"Each pass rounds to 8 bits, as render/resample.py does.");

static PyObject *
resample(PyObject *module, PyObject *args)
{
    Py_buffer src = {0}, rows = {0}, wy = {0}, cols = {0}, wx = {0}, out = {0};
    Py_ssize_t sh, sw, oh, ow;
    PyObject *result = NULL;
    uint8_t *scratch = NULL;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*nny*y*y*y*w*nn", &src, &sh, &sw, &rows, &wy, &cols, &wx,
                          &out, &oh, &ow))
        return NULL;
    if (sh < 1 || sw < 1 || oh < 0 || ow < 0) {
        PyErr_SetString(PyExc_ValueError, "resample: bad plane size");
        goto done;
    }
    if (check_len(&src, sh * sw, "src") || check_len(&out, oh * ow, "out")
        || check_len(&rows, oh * (Py_ssize_t)sizeof(Py_ssize_t), "rows")
        || check_len(&wy, oh * 2, "row_weights")
        || check_len(&cols, ow * (Py_ssize_t)sizeof(Py_ssize_t), "cols")
        || check_len(&wx, ow * 2, "col_weights"))
        goto done;
    const Py_ssize_t *r = rows.buf, *c = cols.buf;
    const uint16_t *vy = wy.buf, *vx = wx.buf;
    for (Py_ssize_t y = 0; y < oh; y++) {
        if (r[y] < 0 || r[y] >= sh || vy[y] > 256) {
            PyErr_SetString(PyExc_ValueError, "resample: row tap out of range");
            goto done;
        }
    }
    Py_ssize_t lo = sw, hi = 0;
    for (Py_ssize_t x = 0; x < ow; x++) {
        if (c[x] < 0 || c[x] >= sw || vx[x] > 256) {
            PyErr_SetString(PyExc_ValueError, "resample: column tap out of range");
            goto done;
        }
        if (c[x] < lo) lo = c[x];
        if (c[x] + 2 > hi) hi = c[x] + 2;
    }
    if (hi > sw) hi = sw;
    if (ow == 0 || oh == 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* One allocation: the row after the vertical pass (16 bytes of padding, so a
     * group's 16-byte load never leaves it), the taps and weights, the groups. */
    const Py_ssize_t span = hi - lo, groups = ow / 8;  /* span >= 1 */
    const size_t line_size = (size_t)span + 16;
    const size_t size = line_size + 16 + 4 * (size_t)ow + 4 * (size_t)groups
                        + 2 * 2 * (size_t)ow + 16 * (size_t)groups;
    scratch = PyMem_RawMalloc(size);
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    uint8_t *line = scratch;
    /* 16-byte aligned after the row: the 32-bit arrays, then the 16-bit, then bytes */
    int32_t *k = (int32_t *)(((uintptr_t)(line + line_size) + 15) & ~(uintptr_t)15);
    Plan plan = {k + ow, NULL, NULL, NULL, groups};
    plan.w0 = (uint16_t *)(plan.base + groups);
    plan.w1 = plan.w0 + ow;
    plan.shuffle = (uint8_t *)(plan.w1 + ow);
    for (Py_ssize_t x = 0; x < ow; x++) {
        Py_ssize_t t = c[x] - lo;
        if (t > span - 2)  /* the last column pairs with itself (numpy: clip) */
            t = span >= 2 ? span - 2 : 0;
        k[x] = (int32_t)t;
        plan.w1[x] = vx[x];
        plan.w0[x] = (uint16_t)(256 - vx[x]);
    }
    for (Py_ssize_t g = 0; g < groups; g++) {
        const int32_t *kg = k + 8 * g;
        int32_t first = kg[0], last = kg[0];
        for (int i = 1; i < 8; i++) {
            if (kg[i] < first) first = kg[i];
            if (kg[i] > last) last = kg[i];
        }
        plan.base[g] = last + 1 - first < 16 ? first : -1;
        for (int i = 0; i < 8; i++) {
            plan.shuffle[16 * g + i] = (uint8_t)(kg[i] - first);
            plan.shuffle[16 * g + 8 + i] = (uint8_t)(kg[i] + 1 - first);
        }
    }
    const uint8_t *s = src.buf;
    uint8_t *o = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t y = 0; y < oh; y++) {
        const Py_ssize_t y0 = r[y], y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        const uint8_t *a = s + y0 * sw + lo, *b = s + y1 * sw + lo;
        const unsigned w1 = vy[y], w0 = 256 - w1;
        for (Py_ssize_t x = 0; x < span; x++)
            line[x] = (uint8_t)((a[x] * w0 + b[x] * w1 + 128) >> 8);
        for (Py_ssize_t x = span; x < span + 16; x++)
            line[x] = line[span - 1];
        uint8_t *row = o + y * ow;
        Py_ssize_t done_to = 0;
#ifdef HAVE_SSSE3
        if (have_ssse3) {
            row_ssse3(line, &plan, k, row);
            done_to = groups * 8;
        }
#endif
        row_scalar(line, k, plan.w1, done_to, ow, row);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(scratch);
    PyBuffer_Release(&src);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&wy);
    PyBuffer_Release(&cols);
    PyBuffer_Release(&wx);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(blend_doc,
"blend(a, b, weight, out)\n"
"--\n\n"
"out = a + floor(((b - a) * weight + 64) / 128) for each byte; weight 0..128.");

static PyObject *
blend(PyObject *module, PyObject *args)
{
    Py_buffer a = {0}, b = {0}, out = {0};
    int weight;
    PyObject *result = NULL;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*y*iw*", &a, &b, &weight, &out))
        return NULL;
    if (weight < 0 || weight > 128) {
        PyErr_SetString(PyExc_ValueError, "blend: weight must be 0..128");
        goto done;
    }
    if (b.len != a.len || out.len != a.len) {
        PyErr_SetString(PyExc_ValueError, "blend: buffers differ in size");
        goto done;
    }
    const uint8_t *pa = a.buf, *pb = b.buf;
    uint8_t *po = out.buf;
    const Py_ssize_t n = a.len;
    Py_BEGIN_ALLOW_THREADS
    /* (d * w + 64 + 32768) >> 7 is floor((d * w + 64) / 128) + 256, all non-negative. */
    for (Py_ssize_t i = 0; i < n; i++) {
        const int d = (int)pb[i] - (int)pa[i];
        po[i] = (uint8_t)(pa[i] + ((d * weight + 64 + 32768) >> 7) - 256);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&out);
    return result;
}

static const char *
SIMD_NAME(void)
{
#ifdef HAVE_SSSE3
    return have_ssse3 ? "ssse3" : "none";
#else
    return "none";
#endif
}

static PyMethodDef methods[] = {
    {"resample", resample, METH_VARARGS, resample_doc},
    {"blend", blend, METH_VARARGS, blend_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "simvid_desktop.render._kernels",
    "Compiled per-pixel kernels of the compositor (see render/native.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
#ifdef HAVE_SSSE3
    __builtin_cpu_init();
    have_ssse3 = __builtin_cpu_supports("ssse3");
#endif
    PyObject *module = PyModule_Create(&module_def);
    if (module != NULL && PyModule_AddStringConstant(module, "SIMD", SIMD_NAME()) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
