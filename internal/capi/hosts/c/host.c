// A test host: a plain C program linked against DuckDB's static library (DuckDB 2.0
// from the Go module go.duckdb.org/libduckdb/linux-amd64), which LOADs the extension
// and runs SQL for a Go test over stdin/stdout, speaking the same protocol as
// ../node/host.mjs:
//   request: "<op> <conn> <nbytes>\n" + nbytes of SQL; op q runs it on connection
//   <conn> (opened on first use, on the second database when <conn> starts with 'B',
//   without LOADing the extension when it starts with 'N'),
//   i interrupts that connection, c closes it.
//   reply: one JSON line {"conn":..,"op":..,"ok":true,"columns":[..],"types":[..],"rows":[[..]]}
//   with values as DuckDB's text or null, or {"conn":..,"op":..,"ok":false,"error":".."}.
// Each connection runs its statements on its own thread, so an interrupt can reach a
// running query. Usage: host EXT DBPATH [name=value ...] (DuckDB settings).
#include "duckdb.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int32_t duckdb_register_static_extensions(void);

static const char *ext_path;
static duckdb_database dbs[2];
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct conn {
	char id[64];
	int db;
	duckdb_connection con;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char op;
	char *sql; // pending request, NULL when idle
	int quit;
	struct conn *next;
} conn;

static conn *conns;

static void json_str(FILE *f, const char *s) {
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20) fprintf(f, "\\u%04x", *p); else fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void reply_error(conn *c, char op, const char *msg) {
	pthread_mutex_lock(&out_mu);
	printf("{\"conn\":");
	json_str(stdout, c->id);
	printf(",\"op\":\"%c\",\"ok\":false,\"error\":", op);
	json_str(stdout, msg ? msg : "unknown error");
	printf("}\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

static void reply_ok(conn *c, char op) {
	pthread_mutex_lock(&out_mu);
	printf("{\"conn\":");
	json_str(stdout, c->id);
	printf(",\"op\":\"%c\",\"ok\":true,\"columns\":[],\"types\":[],\"rows\":[]}\n", op);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

static const char *type_name(duckdb_type t) {
	switch (t) {
	case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
	case DUCKDB_TYPE_TINYINT: return "TINYINT";
	case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
	case DUCKDB_TYPE_INTEGER: return "INTEGER";
	case DUCKDB_TYPE_BIGINT: return "BIGINT";
	case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
	case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
	case DUCKDB_TYPE_FLOAT: return "FLOAT";
	case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
	case DUCKDB_TYPE_DECIMAL: return "DECIMAL";
	case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
	case DUCKDB_TYPE_DATE: return "DATE";
	case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
	case DUCKDB_TYPE_LIST: return "LIST";
	case DUCKDB_TYPE_MAP: return "MAP";
	case DUCKDB_TYPE_STRUCT: return "STRUCT";
	default: return "OTHER";
	}
}

static void reply_result(conn *c, char op, duckdb_result *r) {
	idx_t ncol = duckdb_column_count(r), nrow = duckdb_row_count(r);
	pthread_mutex_lock(&out_mu);
	printf("{\"conn\":");
	json_str(stdout, c->id);
	printf(",\"op\":\"%c\",\"ok\":true,\"columns\":[", op);
	for (idx_t j = 0; j < ncol; j++) {
		if (j) putchar(',');
		json_str(stdout, duckdb_column_name(r, j));
	}
	printf("],\"types\":[");
	for (idx_t j = 0; j < ncol; j++) {
		if (j) putchar(',');
		json_str(stdout, type_name(duckdb_column_type(r, j)));
	}
	printf("],\"rows\":[");
	for (idx_t i = 0; i < nrow; i++) {
		printf(i ? ",[" : "[");
		for (idx_t j = 0; j < ncol; j++) {
			if (j) putchar(',');
			if (duckdb_value_is_null(r, j, i)) {
				printf("null");
				continue;
			}
			char *v = duckdb_value_varchar(r, j, i);
			json_str(stdout, v ? v : "");
			duckdb_free(v);
		}
		putchar(']');
	}
	printf("]}\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

static int run(conn *c, const char *sql, duckdb_result *r) {
	if (duckdb_query(c->con, sql, r) == DuckDBError) {
		return 0;
	}
	return 1;
}

// open_conn connects and LOADs the extension, and nothing else: on DuckDB 2.0.0 the
// extension registers ml_predict unqualified itself (its C API v2 companion), so unlike
// the Node host (DuckDB 1.5.6) this one puts no catalog on the search path.
static const char *open_conn(conn *c) {
	static __thread char err[4096];
	if (duckdb_connect(dbs[c->db], &c->con) == DuckDBError) return "cannot connect";
	if (c->id[0] == 'N') return NULL; // a connection that does not LOAD the extension
	char *load = malloc(strlen(ext_path) * 2 + 16);
	char *p = load + sprintf(load, "LOAD '");
	for (const char *s = ext_path; *s; s++) {
		if (*s == '\'') *p++ = '\'';
		*p++ = *s;
	}
	strcpy(p, "'");
	duckdb_result r;
	const char *ret = NULL;
	if (!run(c, load, &r)) {
		snprintf(err, sizeof err, "%s: %s", load, duckdb_result_error(&r));
		ret = err;
	}
	duckdb_destroy_result(&r);
	free(load);
	return ret;
}

static void *worker(void *arg) {
	conn *c = (conn *)arg;
	const char *err = open_conn(c);
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->sql && !c->quit) pthread_cond_wait(&c->cv, &c->mu);
		if (!c->sql && c->quit) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		// Take the request before replying: the next one may come right after the reply.
		char *sql = c->sql;
		char op = c->op;
		c->sql = NULL;
		pthread_mutex_unlock(&c->mu);
		if (op == 'c') {
			if (c->con) duckdb_disconnect(&c->con);
			reply_ok(c, op);
		} else if (err) {
			reply_error(c, op, err);
		} else {
			duckdb_result r;
			if (run(c, sql, &r)) {
				reply_result(c, op, &r);
			} else {
				reply_error(c, op, duckdb_result_error(&r));
			}
			duckdb_destroy_result(&r);
		}
		free(sql);
		if (op == 'c') break;
	}
	if (c->con) duckdb_disconnect(&c->con);
	return NULL;
}

static conn *find(const char *id, int create) {
	for (conn *c = conns; c; c = c->next)
		if (!strcmp(c->id, id)) return c;
	if (!create) return NULL;
	conn *c = calloc(1, sizeof(conn));
	snprintf(c->id, sizeof c->id, "%s", id);
	c->db = id[0] == 'B';
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->next = conns;
	conns = c;
	pthread_create(&c->thread, NULL, worker, c);
	return c;
}

static void unlink_conn(conn *c) {
	for (conn **pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: host EXT DBPATH [name=value ...]\n");
		return 2;
	}
	ext_path = argv[1];
	if (duckdb_register_static_extensions() != 0) {
		fprintf(stderr, "registering the static extensions failed\n");
		return 1;
	}
	for (int d = 0; d < 2; d++) {
		duckdb_config cfg;
		duckdb_create_config(&cfg);
		duckdb_set_config(cfg, "allow_unsigned_extensions", "true");
		for (int i = 3; d == 0 && i < argc; i++) { // the settings are the first database's
			char *eq = strchr(argv[i], '=');
			if (!eq) continue;
			*eq = 0;
			duckdb_set_config(cfg, argv[i], eq + 1);
			*eq = '=';
		}
		char *err = NULL;
		const char *path = d == 0 ? argv[2] : ":memory:";
		if (duckdb_open_ext(strcmp(path, ":memory:") ? path : NULL, &dbs[d], cfg, &err) == DuckDBError) {
			fprintf(stderr, "opening %s: %s\n", path, err ? err : "?");
			return 1;
		}
		duckdb_destroy_config(&cfg);
	}
	char line[256];
	while (fgets(line, sizeof line, stdin)) {
		char op, id[64];
		size_t n;
		if (sscanf(line, "%c %63s %zu", &op, id, &n) != 3) {
			fprintf(stderr, "bad request line: %s", line);
			return 1;
		}
		char *sql = malloc(n + 1);
		if (fread(sql, 1, n, stdin) != n) {
			free(sql);
			break;
		}
		sql[n] = 0;
		if (op == 'i') {
			conn *c = find(id, 0);
			if (c && c->con) duckdb_interrupt(c->con);
			free(sql);
			pthread_mutex_lock(&out_mu);
			printf("{\"conn\":");
			json_str(stdout, id);
			printf(",\"op\":\"i\",\"ok\":true}\n");
			fflush(stdout);
			pthread_mutex_unlock(&out_mu);
			continue;
		}
		conn *c = find(id, 1);
		pthread_mutex_lock(&c->mu);
		c->op = op;
		c->sql = sql;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (op == 'c') {
			pthread_join(c->thread, NULL);
			unlink_conn(c);
			free(c);
		}
	}
	for (conn *c = conns; c;) {
		pthread_mutex_lock(&c->mu);
		c->quit = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		conn *next = c->next;
		free(c);
		c = next;
	}
	for (int d = 0; d < 2; d++) duckdb_close(&dbs[d]);
	return 0;
}
