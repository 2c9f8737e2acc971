// lifecycle: probes of the loadable extension's life inside a host process, on DuckDB
// 2.0's static library (hosttest's lifecycle tests build and run it).
//
//   lifecycle leak EXT N none|load|predict   open a database, [LOAD, [predict, embed]], close:
//                                            N times; prints "iter I rss_kb R", then
//                                            "sessions S", the models still loaded
//   lifecycle env EXT DIRS                   LOAD in one database, then set
//                                            DUCKINFER_MODELS=DIRS and use a second
//   lifecycle fork EXT                       predict, fork, predict in the child
#include "duckdb.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int32_t duckdb_register_static_extensions(void);

static long rss_kb(void) {
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2) {
			resident = 0;
		}
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// run runs sql; with print, it writes each row's columns joined by '|'.
static int run(duckdb_connection c, const char *sql, int print) {
	duckdb_result r;
	if (duckdb_query(c, sql, &r) == DuckDBError) {
		printf("ERROR %s\n", duckdb_result_error(&r));
		duckdb_destroy_result(&r);
		return 0;
	}
	for (idx_t i = 0; print && i < duckdb_row_count(&r); i++) {
		for (idx_t j = 0; j < duckdb_column_count(&r); j++) {
			char *v = duckdb_value_varchar(&r, j, i);
			printf("%s%s", j ? "|" : "", v ? v : "NULL");
			duckdb_free(v);
		}
		printf("\n");
	}
	duckdb_destroy_result(&r);
	return 1;
}

static int open_db(duckdb_database *db, duckdb_connection *con) {
	duckdb_config cfg;
	char *err = NULL;
	duckdb_create_config(&cfg);
	duckdb_set_config(cfg, "allow_unsigned_extensions", "true");
	duckdb_set_config(cfg, "threads", "2");
	int ok = duckdb_open_ext(NULL, db, cfg, &err) == DuckDBSuccess;
	duckdb_destroy_config(&cfg);
	if (!ok) {
		printf("ERROR open: %s\n", err);
		duckdb_free(err);
		return 0;
	}
	return duckdb_connect(*db, con) == DuckDBSuccess;
}

static int load(duckdb_connection con, const char *ext) {
	char sql[4096];
	snprintf(sql, sizeof sql, "LOAD '%s'", ext);
	return run(con, sql, 0);
}

// count(x) of an output column, so the model runs (count(*) would not need it).
static const char *predict = "SELECT count(predicted_class) FROM ml_predict('sentiment', 'SELECT ''text '' || i AS text FROM range(4096) t(i)')";
static const char *embed = "SELECT count(embedding) FROM ml_embed('bert_embed', 'SELECT ''text '' || i AS text FROM range(256) t(i)')";

int main(int argc, char **argv) {
	if (argc < 3 || duckdb_register_static_extensions() != 0) {
		return 2;
	}
	const char *mode = argv[1], *ext = argv[2];
	if (!strcmp(mode, "leak") && argc == 5) {
		int n = atoi(argv[3]);
		const char *what = argv[4];
		for (int i = 1; i <= n; i++) {
			duckdb_database db;
			duckdb_connection con;
			if (!open_db(&db, &con)) {
				return 1;
			}
			if (strcmp(what, "none") && !load(con, ext)) {
				return 1;
			}
			// DuckDB's own work of the same size either way.
			if (!run(con, "SELECT count(*) FROM (SELECT 'text ' || i AS text FROM range(4096) t(i))", 0)) {
				return 1;
			}
			if (!strcmp(what, "predict") && (!run(con, predict, 0) || !run(con, embed, 0))) {
				return 1;
			}
			duckdb_disconnect(&con);
			duckdb_close(&db);
			if (i == 1 || i % 10 == 0) {
				printf("iter %d rss_kb %ld\n", i, rss_kb());
				fflush(stdout);
			}
		}
		// The models still loaded in the process, seen from a fresh database.
		duckdb_database db;
		duckdb_connection con;
		if (!open_db(&db, &con) || !load(con, ext)) {
			return 1;
		}
		printf("sessions ");
		run(con, "SELECT process_sessions FROM ml_stats()", 1);
		duckdb_disconnect(&con);
		duckdb_close(&db);
		return 0;
	}
	if (!strcmp(mode, "env") && argc == 4) {
		duckdb_database db0, db1;
		duckdb_connection c0, c1;
		if (!open_db(&db0, &c0) || !load(c0, ext)) {
			return 1;
		}
		// As Python's os.environ[...] = ... does, after the first LOAD.
		setenv("DUCKINFER_MODELS", argv[3], 1);
		if (!open_db(&db1, &c1) || !load(c1, ext)) {
			return 1;
		}
		run(c1, "SELECT count(*) FROM ml_tasks() WHERE name = 'bert_embed'", 1);
		duckdb_disconnect(&c0);
		duckdb_disconnect(&c1);
		duckdb_close(&db0);
		duckdb_close(&db1);
		return 0;
	}
	if (!strcmp(mode, "fork")) {
		// As Python's multiprocessing (fork) does: the parent has used the extension.
		duckdb_database db0;
		duckdb_connection c0;
		if (!open_db(&db0, &c0) || !load(c0, ext) || !run(c0, predict, 1)) {
			return 1;
		}
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(60);
			duckdb_database db1;
			duckdb_connection c1;
			if (!open_db(&db1, &c1) || !load(c1, ext) || !run(c1, predict, 1)) {
				_exit(1);
			}
			fflush(stdout);
			_exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		printf(WIFSIGNALED(st) ? "child signal %d\n" : "child exit %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return 0;
	}
	fprintf(stderr, "usage: lifecycle leak EXT N none|load|predict | env EXT DIRS | fork EXT\n");
	return 2;
}
