/*
 * mesos_master.h - the Mesos master's HTTP API as routes of the in-process
 * fake (fake_http.h), for the Mesos connector's tests.
 *
 * Read endpoints are served from fixture files in the documented shapes
 * (tests/fixtures/mesos/README.md says where each shape comes from):
 *   GET /redirect, /master/redirect   307, Location: the leader (503 with none)
 *   GET /master/slaves, /slaves       slaves.json
 *   GET /master/frameworks, /frameworks  frameworks.json
 * and the v1 operator API's maintenance calls keep a schedule in memory
 * (starting from maintenance_schedule.json) and behave as the master does:
 *   POST /api/v1 GET_MAINTENANCE_SCHEDULE, UPDATE_MAINTENANCE_SCHEDULE
 *     (validated: machine ids need a hostname or an IP, appear once, and
 *     windows need a start), START_MAINTENANCE (400 for a machine not in
 *     the schedule), STOP_MAINTENANCE (400 for a machine that is not down;
 *     removes it from the schedule), GET_MAINTENANCE_STATUS.
 * With credentials set, /api/v1 answers 401 to a request without the right
 * basic auth.  A master that is not the leader answers every endpoint but
 * /redirect with 307 to the leader.  Faults (5xx, delays, truncation) come
 * from fake_http_push(), which is served before any route.
 */
#ifndef CMAN_TEST_MESOS_MASTER_H
#define CMAN_TEST_MESOS_MASTER_H

#include "fake_http.h"

struct fake_mesos;

/* Load the fixtures of dir (slaves.json, frameworks.json and, if present,
 * maintenance_schedule.json); NULL with a message on stderr on failure. */
struct fake_mesos *fake_mesos_new(const char *dir);
void fake_mesos_free(struct fake_mesos *fm);

/* Serve fm on f (fake_http_route). */
void fake_mesos_attach(struct fake_mesos *fm, struct fake_http *f);

/* The Location of the leader ("//127.0.0.1:PORT"), "" for no leader (503);
 * is_leader 0 makes every endpoint but /redirect answer 307 to it. */
void fake_mesos_set_leader(struct fake_mesos *fm, const char *location, int is_leader);
/* Require basic auth principal:secret on /api/v1 (NULL: none). */
void fake_mesos_set_credentials(struct fake_mesos *fm, const char *principal,
				const char *secret);
/* Replace a fixture ("slaves" or "frameworks") with text. */
void fake_mesos_set_body(struct fake_mesos *fm, const char *which, const char *text);
/* The current maintenance schedule and the down machines as compact JSON
 * (caller frees). */
char *fake_mesos_schedule(struct fake_mesos *fm);
char *fake_mesos_down(struct fake_mesos *fm);

/* The fixture directory of the source tree. */
#define FAKE_MESOS_FIXTURES CMAN_SOURCE_DIR "/tests/fixtures/mesos"

#endif
