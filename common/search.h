/*  search.h - the name search index in Redis: its layout and its two scripts
 *
 *  Publication writes the index with NPO_SEARCH_INDEX_LUA as it writes each
 *  record; the gateway reads it with NPO_SEARCH_QUERY_LUA. Both are here so
 *  the layout has one definition. Each organization has a number, its sid
 *  (publication's orgs.sid, stable across cache rebuilds):
 *
 *    sx:<bigram>      sorted set: the sids (score = sid) of the organizations
 *                     whose name holds the two characters <bigram>
 *    sxn              sorted set, all scores 0: "<name>\t<sid>", in byte order,
 *                     for exact and prefix matches (ZRANGEBYLEX)
 *    sxd:<sid / 100>  hash: sid -> "<uscc>\t<name>\t<authority division>\t<type>\t<status>",
 *                     what a result shows and what the filters test
 *
 *  A search ranks exact matches first, then names that begin with the
 *  fragment (both in name order, from sxn), then names that merely contain it
 *  (in sid order, from the rarest bigram's set, each checked against the
 *  name). Its cursor says where it stopped: "p<hex of an sxn member>" or
 *  "c<sid>". One call examines at most a budget of candidates, so a page may
 *  hold fewer items than asked while next_cursor is not null.
 */
#ifndef NPO_SEARCH_H
#define NPO_SEARCH_H

#define NPO_SEARCH_BUDGET   2000        //  candidates one page may examine
#define NPO_SEARCH_Q_MAX    30          //  characters in a fragment
#define NPO_SEARCH_CURSOR_MAX 1700      //  bytes in a cursor: "p" and the hex of
                                        //  a name of 200 characters and its sid

//  EVAL with 0 keys; ARGV: sid, the record's JSON. Indexes the record's name,
//  authority_division, type and status under sid, replacing what was there.
extern const char *NPO_SEARCH_INDEX_LUA;

//  EVAL with 0 keys; ARGV: q, division prefix, type, status (each "" for any),
//  limit, cursor ("" for the first page), budget. Returns the page as JSON:
//  {"items":[{uscc, name, authority_division, type, status, match}],
//  "next_cursor"}. The division filter, as everywhere in the API, is on the
//  registration authority's division.
extern const char *NPO_SEARCH_QUERY_LUA;

#endif
