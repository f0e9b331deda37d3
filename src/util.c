/* util.c: allocation with failure injection, buffers, names, files, SHA-256. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation -------------------------------------------------------- */

/* Failure injection is a test facility; it is process-wide by design and only
 * touched by single-threaded tests. */
static _Thread_local long fail_countdown = -1;

void wd_alloc_fail_after(long n) { fail_countdown = n; }

static bool inject_failure(void)
{
    if (fail_countdown < 0)
        return false;
    if (fail_countdown == 0)
        return true;
    fail_countdown--;
    return false;
}

void *wd_xmalloc(size_t n)
{
    if (inject_failure())
        return NULL;
    return malloc(n ? n : 1);
}

void *wd_xcalloc(size_t count, size_t size)
{
    if (inject_failure())
        return NULL;
    if (count == 0 || size == 0)
        count = size = 1;
    return calloc(count, size);
}

void *wd_xrealloc(void *p, size_t n)
{
    if (inject_failure())
        return NULL;
    return realloc(p, n ? n : 1);
}

void wd_xfree(void *p) { free(p); }

char *wd_xstrndup(const char *s, size_t n)
{
    char *d = wd_xmalloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *wd_xstrdup(const char *s) { return s ? wd_xstrndup(s, strlen(s)) : NULL; }

bool wd_vec_grow(void **data, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return false;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return false;
    void *nd = wd_xrealloc(*data, ncap * elem);
    if (!nd)
        return false;
    *data = nd;
    *cap = ncap;
    return true;
}

/* ---- arena --------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} arena_block;

struct wd_arena {
    arena_block *head;
};

wd_arena *wd_arena_new(void) { return wd_xcalloc(1, sizeof(wd_arena)); }

void *wd_arena_alloc(wd_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->size - a->head->used < n) {
        size_t size = n > 65536 ? n : 65536;
        arena_block *b = wd_xmalloc(sizeof(arena_block) + size);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = size;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

char *wd_arena_strndup(wd_arena *a, const char *s, size_t n)
{
    char *d = wd_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *wd_arena_strdup(wd_arena *a, const char *s) { return wd_arena_strndup(a, s, strlen(s)); }

void wd_arena_free(wd_arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        wd_xfree(b);
        b = next;
    }
    wd_xfree(a);
}

/* ---- string buffer ------------------------------------------------------- */

static bool buf_reserve(wd_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->n + extra + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < b->n + extra + 1)
        ncap *= 2;
    char *ns = wd_xrealloc(b->s, ncap);
    if (!ns) {
        b->oom = true;
        return false;
    }
    b->s = ns;
    b->cap = ncap;
    return true;
}

void wd_buf_putn(wd_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void wd_buf_putc(wd_buf *b, char c) { wd_buf_putn(b, &c, 1); }
void wd_buf_puts(wd_buf *b, const char *s) { wd_buf_putn(b, s, strlen(s)); }

void wd_buf_vprintf(wd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    b->n += (size_t)n;
}

void wd_buf_printf(wd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wd_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *wd_buf_str(const wd_buf *b) { return b->s ? b->s : ""; }

char *wd_buf_take(wd_buf *b)
{
    char *s = b->s;
    if (!s && !b->oom)
        s = wd_xstrdup("");
    if (b->oom) {
        wd_xfree(b->s);
        s = NULL;
    }
    b->s = NULL;
    b->n = b->cap = 0;
    b->oom = false;
    return s;
}

void wd_buf_free(wd_buf *b)
{
    wd_xfree(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
    b->oom = false;
}

/* ---- names ---------------------------------------------------------------- */

char *wd_canon_name(const char *s, size_t n)
{
    char *out = wd_xmalloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool pending_space = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '_' || c == '\t' || c == '\n' || c == '\r') {
            pending_space = o > 0;
            continue;
        }
        if (pending_space) {
            out[o++] = ' ';
            pending_space = false;
        }
        if (c >= 'A' && c <= 'Z') {
            out[o++] = (char)(c + 32);
        } else if (c == 0xC3 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9E && (unsigned char)s[i + 1] != 0x97) {
            /* U+00C0..U+00DE except U+00D7 (multiplication sign): Latin-1
             * capitals, lower case is +0x20 in the second byte. */
            out[o++] = (char)c;
            out[o++] = (char)((unsigned char)s[i + 1] + 0x20);
            i++;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
    return out;
}

size_t wd_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256)
        return la > lb ? la : lb;
    size_t row[257];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* ---- hash map (open addressing, FNV-1a) ---------------------------------- */

typedef struct {
    char *key; /* NULL = empty */
    size_t value;
} map_slot;

struct wd_map {
    map_slot *slots;
    size_t cap, count;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

wd_map *wd_map_new(void)
{
    wd_map *m = wd_xcalloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = wd_xcalloc(m->cap, sizeof(map_slot));
    if (!m->slots) {
        wd_xfree(m);
        return NULL;
    }
    return m;
}

void wd_map_free(wd_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        wd_xfree(m->slots[i].key);
    wd_xfree(m->slots);
    wd_xfree(m);
}

static map_slot *map_find(map_slot *slots, size_t cap, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

bool wd_map_put(wd_map *m, const char *key, size_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        map_slot *ns = wd_xcalloc(ncap, sizeof(map_slot));
        if (!ns)
            return false;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                *map_find(ns, ncap, m->slots[i].key) = m->slots[i];
        wd_xfree(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    map_slot *s = map_find(m->slots, m->cap, key);
    if (!s->key) {
        s->key = wd_xstrdup(key);
        if (!s->key)
            return false;
        m->count++;
    }
    s->value = value;
    return true;
}

bool wd_map_get(const wd_map *m, const char *key, size_t *value)
{
    map_slot *s = map_find(m->slots, m->cap, key);
    if (!s->key)
        return false;
    if (value)
        *value = s->value;
    return true;
}

size_t wd_map_count(const wd_map *m) { return m->count; }

/* ---- files ------------------------------------------------------------------ */

char *wd_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    wd_buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        wd_buf_putn(&b, chunk, got);
    int err = ferror(f);
    fclose(f);
    if (err || b.oom) {
        wd_buf_free(&b);
        errno = err ? EIO : ENOMEM;
        return NULL;
    }
    if (len)
        *len = b.n;
    return wd_buf_take(&b);
}

char *wd_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return wd_xstrdup(".");
    if (slash == path)
        return wd_xstrdup("/");
    return wd_xstrndup(path, (size_t)(slash - path));
}

char *wd_path_join(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
        return wd_xstrdup(rel);
    wd_buf b = {0};
    wd_buf_puts(&b, dir);
    if (dir[strlen(dir) - 1] != '/')
        wd_buf_putc(&b, '/');
    wd_buf_puts(&b, rel);
    return wd_buf_take(&b);
}

void wd_remove_stale_temps(const char *path)
{
    char *dir = wd_dirname(path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    wd_buf prefix = {0};
    wd_buf_printf(&prefix, ".%s.tmp.", base);
    DIR *d = dir ? opendir(dir) : NULL;
    if (d && !prefix.oom) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strncmp(e->d_name, prefix.s, prefix.n) != 0)
                continue;
            char *end;
            long pid = strtol(e->d_name + prefix.n, &end, 10);
            if (end == e->d_name + prefix.n || *end != '.' || pid <= 0)
                continue;
            if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                continue; /* its writer may still be at work */
            char *full = wd_path_join(dir, e->d_name);
            if (full)
                unlink(full);
            wd_xfree(full);
        }
    }
    if (d)
        closedir(d);
    wd_buf_free(&prefix);
    wd_xfree(dir);
}

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------------- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + sha_k[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void wd_sha256_hex(const void *data, size_t len, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++)
        sha_block(h, p + 64 * i);
    unsigned char tail[128] = {0};
    size_t rest = len % 64;
    memcpy(tail, p + 64 * full, rest);
    tail[rest] = 0x80;
    size_t tlen = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha_block(h, tail);
    if (tlen == 128)
        sha_block(h, tail + 64);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ---- numbers ---------------------------------------------------------------- */

void wd_format_double(char *out, size_t outlen, double v, int digits)
{
    if (isnan(v)) {
        snprintf(out, outlen, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, outlen, v > 0 ? "Inf" : "-Inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, outlen, "%.0f", v);
        return;
    }
    /* Most values round-trip at 15 digits, and %.15g already drops trailing
     * zeros; 16 and 17 cover the rest (17 always round-trips). */
    for (int d = digits < 15 ? digits : 15; d < digits; d++) {
        snprintf(out, outlen, "%.*g", d, v);
        if (strtod(out, NULL) == v)
            return;
    }
    snprintf(out, outlen, "%.*g", digits, v);
}
