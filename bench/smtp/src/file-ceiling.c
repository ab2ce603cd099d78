/*
 * The filesystem's own ceiling for one-file-per-message delivery, with no Node.js and no SMTP:
 * `threads` threads each create a 2 KB file in tmp/ and rename it into new/, as a Maildir
 * delivery does. With "durable", each file is opened O_DSYNC and new/ is fsynced after each
 * rename (the steps porthost's store takes before a 250, without its batching of the directory
 * fsync); with "none", nothing is synced (as MailDev writes).
 * Usage: file-ceiling <dir> <threads> <files> durable|none; prints files per second.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *root;
static int per_thread, durable, new_dir;
static char message[2048];

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static void *deliver(void *arg) {
  long thread = (long)arg;
  char tmp[4096], dst[4096];
  for (int i = 0; i < per_thread; i++) {
    snprintf(tmp, sizeof tmp, "%s/tmp/%ld.%d", root, thread, i);
    snprintf(dst, sizeof dst, "%s/new/%ld.%d", root, thread, i);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | (durable ? O_DSYNC : 0), 0600);
    if (fd < 0) fail("open");
    if (write(fd, message, sizeof message) != (ssize_t)sizeof message) fail("write");
    if (close(fd) != 0) fail("close");
    if (rename(tmp, dst) != 0) fail("rename");
    if (durable && fsync(new_dir) != 0) fail("fsync");
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <dir> <threads> <files> durable|none\n", argv[0]);
    return 2;
  }
  root = argv[1];
  int threads = atoi(argv[2]);
  per_thread = atoi(argv[3]) / (threads > 0 ? threads : 1);
  durable = strcmp(argv[4], "durable") == 0;
  if (threads < 1 || threads > 1000 || per_thread < 1) {
    fprintf(stderr, "threads must be 1..1000 and files at least threads\n");
    return 2;
  }
  memset(message, 'x', sizeof message);
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/tmp", root);
  if (mkdir(sub, 0700) != 0) fail("mkdir tmp");
  snprintf(sub, sizeof sub, "%s/new", root);
  if (mkdir(sub, 0700) != 0) fail("mkdir new");
  new_dir = open(sub, O_RDONLY | O_DIRECTORY);
  if (new_dir < 0) fail("open new");

  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long t = 0; t < threads; t++)
    if (pthread_create(&ids[t], NULL, deliver, (void *)t) != 0) fail("pthread_create");
  for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%.0f\n", (double)per_thread * threads / seconds);
  return 0;
}
