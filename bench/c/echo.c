/* The C echo function: reads the whole request (CONTRACT §4.1) from stdin,
 * finds its top-level "input" value and writes
 * {"success":true,"output":<input>} to stdout. No JSON library: a scanner
 * that skips values is enough and keeps the binary's start-up cost ~0, so
 * what is measured is spawn + pipes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *buf;
static size_t len, cap;

static void read_all(void) {
  cap = 1 << 16;
  buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    if (!buf) _exit(3);
    ssize_t n = read(0, buf + len, cap - len);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    len += (size_t)n;
  }
}

static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(4);
    }
    p += w;
    n -= (size_t)w;
  }
}

static size_t ws(size_t i) {
  while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) i++;
  return i;
}

/* i at the opening quote; returns the index after the closing one. */
static size_t skip_string(size_t i) {
  for (i++; i < len; i++) {
    if (buf[i] == '\\') i++;
    else if (buf[i] == '"') return i + 1;
  }
  return len;
}

static size_t skip_value(size_t i) {
  if (i >= len) return len;
  if (buf[i] == '"') return skip_string(i);
  if (buf[i] == '{' || buf[i] == '[') {
    int depth = 0;
    while (i < len) {
      char c = buf[i];
      if (c == '"') { i = skip_string(i); continue; }
      if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      i++;
    }
    return len;
  }
  while (i < len && buf[i] != ',' && buf[i] != '}' && buf[i] != ']' && buf[i] != ' ' && buf[i] != '\n') i++;
  return i;
}

int main(void) {
  read_all();
  const char *val = "null";
  size_t vlen = 4;
  size_t i = ws(0);
  if (i < len && buf[i] == '{') {
    i = ws(i + 1);
    while (i < len && buf[i] == '"') {
      size_t k = i + 1, kend = skip_string(i) - 1;
      i = ws(kend + 1);
      if (i < len && buf[i] == ':') i = ws(i + 1);
      size_t v = i;
      i = skip_value(i);
      if (kend - k == 5 && memcmp(buf + k, "input", 5) == 0) {
        val = buf + v;
        vlen = i - v;
        break;
      }
      i = ws(i);
      if (i < len && buf[i] == ',') i = ws(i + 1);
    }
  }
  static const char head[] = "{\"success\":true,\"output\":";
  write_all(head, sizeof head - 1);
  write_all(val, vlen);
  write_all("}\n", 2);
  return 0;
}
