/*
 * The field actions of SPEC 3, in one table.  Everything that knows the
 * list of actions is made from ACTION_TABLE: the enum below, the parser
 * and writer of an action's text (action.c), the functions that apply
 * each one (policy.c), the counters (struct policy_stats) and the summary
 * of intel-redact.  Adding an action: a row here, its function in
 * policy.c, its case in comply.c's switch (the compiler names it), the
 * manuals and the tests.
 *
 * A row is X(ENUM, NAME, ARGMIN, ARGMAX, ARGNAME, WORD, EACH, FUNCTION):
 *
 *   ENUM      the enum constant is AG_ENUM
 *   NAME      as written in an agreement, before any ":ARG"
 *   ARGMIN,   the range of the decimal argument written NAME:ARG; -1, -1
 *   ARGMAX    for an action that takes none
 *   ARGNAME   how the list of actions in a message shows the argument
 *             ("mask:N"); NULL to show the range ("round:0 to round:15")
 *   WORD      what the action did to a value, in --explain and the
 *             summary; actions with the same word are counted as one in
 *             the summary; NULL: not counted
 *   EACH      1: an object or array is not acted on as a whole but each
 *             string and number inside it (SPEC 3); 0: the whole value
 *   FUNCTION  the function of policy.c that applies it
 */
#ifndef INTEL_ACTION_H
#define INTEL_ACTION_H

#include <stddef.h>

#define ACTION_TABLE(X) \
	X(KEEP, "keep", -1, -1, NULL, NULL, 0, act_keep) \
	X(DROP, "drop", -1, -1, NULL, "dropped", 0, act_drop) \
	X(PSEUDONYMISE, "pseudonymise", -1, -1, NULL, "pseudonymised", 1, \
	    act_pseudonymise) \
	X(MASK, "mask", 0, 1000000, "N", "masked", 1, act_mask) \
	X(GENERALISE_YEAR, "generalise:year", -1, -1, NULL, "generalised", 1, \
	    act_generalise_year) \
	X(GENERALISE_MONTH, "generalise:month", -1, -1, NULL, "generalised", \
	    1, act_generalise_month) \
	X(ROUND, "round", 0, 15, NULL, "rounded", 1, act_round)

enum ag_action {
#define ACTION_ENUM(e, name, lo, hi, argname, word, each, fn) AG_##e,
	ACTION_TABLE(ACTION_ENUM)
#undef ACTION_ENUM
	    AG_NACTIONS
};

struct action_def {
	const char *name;
	int argmin; /* -1: no argument */
	int argmax;
	const char *argname;
	const char *word; /* NULL: not counted */
	int each;
};

/* The table's rows, by enum. */
extern const struct action_def action_defs[AG_NACTIONS];

/* Reads an action as written ("mask:4"); returns 0, or -1 if it is none. */
int action_parse(const char *s, enum ag_action *act, int *arg);
/* Writes it back the same way into out. */
void action_format(enum ag_action act, int arg, char *out, size_t len);
/* The list of actions for a message: "keep, drop, ..., round:0 to
 * round:15". */
void action_list(char *out, size_t len);
/* Is act the first action (in the table) with its word?  0 for none. */
int action_word_first(enum ag_action act);

#endif
