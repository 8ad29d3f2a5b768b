/*
 * jobs.c — --jobs N and --merge: one capture narrated by N processes, and
 * their output put back together.
 *
 * --jobs N forks N children, child k running shard k of N (--shard k/N
 * --records) into a pipe, and merges the pipes to standard output as they
 * fill (records.c): the bytes are those of one process. Each child reads the
 * file itself, so standard input and live capture are refused. What the
 * children say on standard error goes to a temporary file each and is
 * printed once at the end, each line once (every shard meets the same
 * damaged file and says so). The exit status is the worst of the
 * children's: 1 (input) over 3 (--compare --strict) over 0.
 *
 * --merge does the same merge on record files written by separate runs
 * (machines) of --shard I/N --records.
 */
#define _GNU_SOURCE /* memmem */
#include "cli.h"
#include "records.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct job {
	pid_t pid;
	FILE *out;        /* the read end of its pipe */
	FILE *err;        /* what it wrote on standard error */
	char name[32];
	int status;       /* its exit status, or -signal */
	bool stopped;     /* sent SIGTERM by us: a signal is no news */
};

/* The pipes' size, and the buffers on both their ends and on the merged output. */
#define PIPE_BUF_BYTES (1 << 20)

/* In the child: shard k of n into the pipe, standard error into its file; never returns. */
static void run_child(const struct tn_cli_opts *o, struct job *jobs, uint32_t k, int wfd)
{
	for (uint32_t i = 0; i < k; i++)
		fclose(jobs[i].out);
	if (dup2(fileno(jobs[k].err), STDERR_FILENO) < 0)
		_exit(TN_EXIT_INPUT);
	FILE *out = fdopen(wfd, "w");
	if (!out)
		_exit(TN_EXIT_INPUT);
	setvbuf(out, NULL, _IOFBF, PIPE_BUF_BYTES);
	struct tn_cli_opts co = *o;
	co.jobs = 0;
	co.shard = k;
	co.shards = o->jobs;
	co.records = true;
	int status = tn_cli_run_to(&co, out);
	if (fclose(out) != 0 && status == TN_EXIT_OK)
		status = TN_EXIT_INPUT;
	_exit(status);
}

static int start_job(const struct tn_cli_opts *o, struct job *jobs, uint32_t k)
{
	int fd[2];
	struct job *j = &jobs[k];
	snprintf(j->name, sizeof j->name, "job %u of %u", k, o->jobs);
	if (!(j->err = tmpfile()) || pipe(fd) < 0)
		return -1;
	/* Room for a job to run ahead of the others while the merge waits on one (Linux). */
	(void)fcntl(fd[0], F_SETPIPE_SZ, PIPE_BUF_BYTES);
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (j->pid == 0) {
		close(fd[0]);
		run_child(o, jobs, k, fd[1]);
	}
	close(fd[1]);
	j->out = fdopen(fd[0], "r");
	if (!j->out)
		return -1;
	/* A pipe's stream reads 4 KiB at a time by default: a read() for every few records. */
	(void)setvbuf(j->out, NULL, _IOFBF, PIPE_BUF_BYTES);
	return 0;
}

static void reap(struct job *j, bool stop)
{
	int ws;
	if (j->pid <= 0)
		return;
	if (stop)
		j->stopped = kill(j->pid, SIGTERM) == 0;
	while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
		;
	j->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
	j->pid = 0;
}

/* The children's standard error, each line once, in the order of the jobs. */
static void print_errors(struct job *jobs, uint32_t n)
{
	char *seen = malloc(1), *line = NULL;   /* seen: "\n" and every line printed */
	size_t seen_len = 1, cap = 0;
	ssize_t len;
	if (!seen)
		return;
	seen[0] = '\n';
	for (uint32_t k = 0; k < n; k++) {
		if (!jobs[k].err)
			continue;
		rewind(jobs[k].err);
		while ((len = getline(&line, &cap, jobs[k].err)) > 0) {
			char *ns = realloc(seen, seen_len + (size_t)len + 1);
			if (!ns)
				break;
			seen = ns;
			/* "\nLINE\n" already in seen: printed before, as a whole line. */
			seen[seen_len] = '\n';
			memcpy(seen + seen_len + 1, line, (size_t)len);
			if (line[len - 1] == '\n' && memmem(seen, seen_len, seen + seen_len, (size_t)len + 1))
				continue;
			fputs(line, stderr);
			memmove(seen + seen_len, line, (size_t)len);
			seen_len += (size_t)len;
		}
	}
	free(line);
	free(seen);
}

/* The worst of the children's statuses: 1 over 3 over 0; a killed child is 1. */
static int job_status(const struct job *jobs, uint32_t n)
{
	int st = TN_EXIT_OK;
	for (uint32_t k = 0; k < n; k++) {
		int s = jobs[k].status;
		if (s < 0 && jobs[k].stopped)
			continue;
		if (s < 0) {
			fprintf(stderr, "tcpnarrate: %s ended on signal %d\n", jobs[k].name, -s);
			return TN_EXIT_INPUT;
		}
		if (s == TN_EXIT_INPUT || (s != TN_EXIT_OK && st == TN_EXIT_OK))
			st = s;
	}
	return st;
}

/* Merges the jobs' pipes to stdout, then collects them: the run's exit status. */
static int merge_jobs(struct job *jobs, uint32_t n)
{
	FILE *in[TN_MAX_SHARDS] = { 0 };
	const char *names[TN_MAX_SHARDS] = { 0 };
	char err[TN_ERRBUF_SIZE];
	for (uint32_t k = 0; k < n; k++) {
		in[k] = jobs[k].out;
		names[k] = jobs[k].name;
	}
	int rc = tn_records_merge(in, names, n, stdout, err, sizeof err);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -2;
	int werr = errno; /* what a failed write said, before the jobs are reaped */
	for (uint32_t k = 0; k < n && rc < 0; k++) {
		fclose(jobs[k].out); /* a job blocked writing to its pipe gets EPIPE and stops */
		jobs[k].out = NULL;
	}
	for (uint32_t k = 0; k < n; k++)
		reap(&jobs[k], rc < 0);
	if (rc == -2 && werr == EPIPE)
		return TN_EXIT_OK; /* a closed reader (| head): stop quietly */
	print_errors(jobs, n);
	bool failed = false;
	for (uint32_t k = 0; k < n; k++)
		failed |= jobs[k].status > 0 && jobs[k].status != TN_EXIT_DIFFERS;
	if (rc == -2)
		snprintf(err, sizeof err, "standard output: cannot write: %s", strerror(werr));
	if (rc < 0 && !failed) {
		fprintf(stderr, "tcpnarrate: %s\n", err);
		return TN_EXIT_INPUT;
	}
	return failed || rc == 0 ? job_status(jobs, n) : TN_EXIT_INPUT;
}

/*
 * The merged output to a file or a pipe in large writes, as one process
 * writes it; with -l a line at a time (a shard's records come whole).
 */
static void buffer_stdout(const struct tn_cli_opts *o)
{
	if (o->line_buffered)
		setvbuf(stdout, NULL, _IOLBF, 0);
	else if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, PIPE_BUF_BYTES);
}

int tn_cli_jobs(const struct tn_cli_opts *o)
{
	uint32_t n = o->jobs;
	struct job *jobs = calloc(n, sizeof *jobs);
	int status = TN_EXIT_INPUT;
	buffer_stdout(o);
	if (!jobs) {
		fprintf(stderr, "tcpnarrate: out of memory\n");
		return TN_EXIT_INPUT;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (start_job(o, jobs, k) < 0) {
			fprintf(stderr, "tcpnarrate: cannot start %s: %s\n", jobs[k].name,
				strerror(errno));
			for (uint32_t i = 0; i < n; i++)
				reap(&jobs[i], true);
			goto done;
		}
	}
	status = merge_jobs(jobs, n);
done:
	for (uint32_t k = 0; k < n; k++) {
		if (jobs[k].out)
			fclose(jobs[k].out);
		if (jobs[k].err)
			fclose(jobs[k].err);
	}
	free(jobs);
	return status;
}

int tn_cli_merge(const struct tn_cli_opts *o)
{
	size_t n = o->n_merge_files;
	FILE **in = calloc(n, sizeof *in);
	buffer_stdout(o);
	char err[TN_ERRBUF_SIZE];
	int status = TN_EXIT_INPUT;
	if (!in) {
		fprintf(stderr, "tcpnarrate: out of memory\n");
		return TN_EXIT_INPUT;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(in[i] = fopen(o->merge_files[i], "rb"))) {
			fprintf(stderr, "tcpnarrate: %s: %s\n", o->merge_files[i], strerror(errno));
			goto done;
		}
	}
	int rc = tn_records_merge(in, (const char *const *)o->merge_files, n, stdout, err,
				  sizeof err);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -2;
	if (rc == -2 && errno == EPIPE)
		rc = 0; /* a closed reader (| head): stop quietly */
	if (rc == -1)
		fprintf(stderr, "tcpnarrate: %s\n", err);
	if (rc == -2)
		fprintf(stderr, "tcpnarrate: standard output: cannot write: %s\n", strerror(errno));
	status = rc < 0 ? TN_EXIT_INPUT : TN_EXIT_OK;
done:
	for (size_t i = 0; i < n; i++)
		if (in[i])
			fclose(in[i]);
	free(in);
	return status;
}
