// Package schedule reads a workflow's schedule file
// (statemachine/<name>.schedule.json) and computes when each schedule
// fires, with the semantics of Amazon EventBridge Scheduler, so that the
// local stack fires a schedule on the same instants as AWS does.
//
// Expressions are EventBridge Scheduler's three kinds:
//
//   - cron(minutes hours day-of-month month day-of-week year): six fields;
//     exactly one of day-of-month and day-of-week is "?"; wildcards
//     , - * / everywhere except day-of-week (no /), L and nW in
//     day-of-month, L, nL and n#k in day-of-week (n#k alone in its field);
//     months 1-12 or JAN-DEC, days of week 1-7 or SUN-SAT (1 is Sunday),
//     years 1970-2199. A range runs upwards (22-2 is rejected: write
//     22-23,0-2), so that what is accepted here is accepted by AWS.
//   - rate(N unit): unit minute(s), hour(s) or day(s); singular exactly
//     when N is 1. A day is 24 hours whatever daylight saving time does.
//   - at(yyyy-mm-ddThh:mm:ss): one fire at that wall-clock time.
//
// Time zones are IANA names evaluated with the tz database embedded in
// the binary (time/tzdata), so a bare machine computes the same instants.
// Daylight saving time follows what EventBridge Scheduler documents: a
// cron wall-clock time that does not exist because clocks spring forward
// is skipped (no fire that day, none moved to later), and a wall-clock
// time that occurs twice because clocks fall back fires once, at its first
// occurrence — the earlier instant, when the clock first shows that time;
// an at() time that does not exist is an error, one that occurs twice
// fires at its first occurrence. Rates are durations, untouched by DST.
//
// A rate schedule fires at its start date and every N units after it, as
// on AWS. Without a start date AWS starts counting when the schedule is
// created; a file has no creation instant, so this package counts from the
// Unix epoch instead (rate(5 minutes) fires on :00, :05, ... UTC), which
// keeps the instants — and the execution names derived from them —
// the same across restarts.
//
// It is a leaf package of the engine: standard library only. It knows
// nothing of clocks or of starting executions; local/scheduler does that.
package schedule
