/*  gen.c - npoctl gen: a synthetic data return, with errors that are known
 *
 *  Writes sections 01 to 03 of docs/import.md (organizations, officers, work
 *  history) as JSON Lines for N organizations of one province, the ministry
 *  (10) or the whole country, and beside them expected-findings.jsonl (each
 *  error injected: file, line, rule, field, outcome) and manifest.json.
 *
 *  Everything comes from the seed through xoshiro256** streams: one per
 *  organization for the data, one per record for its error. So the same
 *  arguments give the same bytes, the data do not depend on the error rate,
 *  and raising the rate only adds errors (docs/import.md, "Synthetic data").
 *  No clock is read: times count back from --as-of.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codes.h"
#include "npoctl.h"

#define S_ORGS_MAX      1000000
#define S_RATE_MAX      0.5
#define S_AS_OF         "2026-01-01T00:00:00Z"
#define S_OFFICERS_MAX  9
#define S_DAY           86400

//  Where each stream of numbers starts (with the seed, the organization and
//  the record): data of sections 01 to 03, the errors of each section (100 +
//  its number), the data of each section after 03 (200 + its number). A
//  section of its own streams adds no draw to another's.
enum { S_DATA = 1, S_ERRORS = 100, S_MORE = 200 };

enum { S_SG, S_SS, S_FD };              //  social_group, social_service, foundation
static const char *const s_type_names [] = { "social_group", "social_service", "foundation" };

enum { P_LR, P_RESPONSIBLE, P_DIRECTOR, P_SUPERVISOR, P_OTHER };
static const char *const s_positions [] = {
    "legal_representative", "responsible_person", "director", "supervisor", "other"
};
//  What a province's own system shows instead (an unknown_enum)
static const char *const s_position_labels [] = {
    "法定代表人", "负责人", "理事", "监事", "秘书长"
};

enum { ST_ACTIVE, ST_DEREGISTERED, ST_REVOKED };
static const char *const s_statuses [] = { "active", "deregistered", "revoked" };
static const char *const s_status_labels [] = { "正常", "注销", "撤销" };

//  ---------------------------------------------------------------------
//  Rules that can be injected (docs/import.md 6.1), in the order of their
//  names, which is the order of manifest.json's "injected"

enum {
    R_BIRTH, R_FUTURE, R_ORDER, R_DERIVED, R_MISMATCH, R_DUPLICATE, R_GENDER, R_FORMAT,
    R_ID_CHECK, R_USCC_CHECK, R_MISSING, R_STALE, R_DIVISION, R_ENUM, R_RULES
};
static const char *const s_rule_names [R_RULES] = {
    "birth_date_mismatch", "date_in_future", "date_order", "derived_value_mismatch",
    "division_authority_mismatch", "duplicate_key_in_file", "inconsistent_fields",
    "invalid_format", "invalid_id_check", "invalid_uscc_check", "missing_required",
    "stale_source", "unknown_division", "unknown_enum"
};

//  Each section's rules: only those a validator can see in the files alone
static const int s_rules_01 [] = {
    R_MISSING, R_FORMAT, R_USCC_CHECK, R_ENUM, R_DIVISION, R_FUTURE, R_MISMATCH, R_STALE,
    R_DUPLICATE
};
static const int s_rules_02 [] = {
    R_ID_CHECK, R_MISSING, R_ENUM, R_BIRTH, R_GENDER, R_FORMAT, R_FUTURE, R_STALE, R_DUPLICATE
};
static const int s_rules_03 [] = {
    R_ID_CHECK, R_MISSING, R_ENUM, R_ORDER, R_FUTURE, R_FORMAT, R_STALE, R_DUPLICATE
};

//  The sections after 03: each rule on each field it may break. other: for
//  date_order the date the field is put before. refused: the record is
//  (a key or store field), so not drawn where that would take others along.
typedef struct {
    int section;
    int rule;
    const char *field;              //  NULL: the record
    const char *other;
    bool refused;
} s_spec_t;

static const s_spec_t s_specs [] = {
    { 4, R_MISSING, "registered_capital" }, { 4, R_MISSING, "activity_area" },
    { 4, R_MISSING, "valid_from" }, { 4, R_MISSING, "valid_to" },
    { 4, R_MISSING, "issued_on" },
    { 4, R_FORMAT, "registered_capital" }, { 4, R_FORMAT, "activity_area" },
    { 4, R_FORMAT, "valid_from" }, { 4, R_FORMAT, "valid_to" }, { 4, R_FORMAT, "issued_on" },
    { 4, R_FUTURE, "valid_from" }, { 4, R_FUTURE, "issued_on" },
    { 4, R_ORDER, "valid_to", "valid_from" },
    { 4, R_STALE }, { 4, R_DUPLICATE },
    { 7, R_MISSING, "reason" }, { 7, R_MISSING, "liquidation_leader" },
    { 7, R_FORMAT, "liquidation_phone" }, { 7, R_FORMAT, "deregistered_on", NULL, true },
    { 7, R_FUTURE, "deregistered_on", NULL, true },
    { 7, R_STALE }, { 7, R_DUPLICATE },
    { 9, R_MISSING, "after" }, { 9, R_FORMAT, "content" },
    { 9, R_FORMAT, "approved_on", NULL, true }, { 9, R_FUTURE, "approved_on", NULL, true },
    { 9, R_STALE }, { 9, R_DUPLICATE },
};

//  The files, in the order of the manifest: the sections, then the findings
static const struct {
    int section;
    const char *name;
} s_files [] = {
    { 1, "01-organizations.jsonl" }, { 2, "02-officers.jsonl" },
    { 3, "03-work-history.jsonl" }, { 4, "04-certificates.jsonl" },
    { 7, "07-deregistrations.jsonl" }, { 9, "09-changes.jsonl" },
    { 0, "expected-findings.jsonl" }
};
#define S_NFILES    (sizeof s_files / sizeof s_files [0])
#define S_FINDINGS  (S_NFILES - 1)

//  The file of a section
static size_t
s_slot (int section)
{
    size_t i = 0;
    while (i < S_FINDINGS && s_files [i].section != section)
        i++;
    assert (i < S_FINDINGS);
    return i;
}

//  ---------------------------------------------------------------------
//  Words

//  Kinds: how a name ends, by type. A branded kind takes a brand, not the
//  field (广州市天河区阳光幼儿园).
enum {
    K_XIEHUI, K_XUEHUI, K_YANJIUHUI, K_SHANGHUI, K_LIANHEHUI, K_CUJINHUI, K_FUWU, K_PEIXUN,
    K_YANJIUYUAN, K_YANGLAO, K_YOUER, K_FAZHAN, K_KINDS
};
static const struct {
    const char *word;
    int type;
    bool brand;
} s_kinds [K_KINDS] = {
    { "协会", S_SG, false }, { "学会", S_SG, false }, { "研究会", S_SG, false },
    { "商会", S_SG, false }, { "联合会", S_SG, false }, { "促进会", S_SG, false },
    { "服务中心", S_SS, false }, { "培训中心", S_SS, false }, { "研究院", S_SS, false },
    { "养老院", S_SS, true }, { "幼儿园", S_SS, true }, { "发展中心", S_SS, false },
};
#define K(k) (1u << (k))
#define K_SG_ALL (K (K_XIEHUI) | K (K_YANJIUHUI) | K (K_CUJINHUI) | K (K_LIANHEHUI))

//  Business units (业务主管单位): a county's or city's, a province's, the State's
enum { B_CIVIL, B_SCIENCE, B_EDUCATION, B_CULTURE, B_SPORT, B_ENVIRONMENT, B_HEALTH,
       B_JUSTICE, B_COMMERCE_FED, B_COMMERCE, B_AGRICULTURE, B_TRANSPORT };
static const struct {
    const char *local, *provincial, *national;
} s_bureaus [] = {
    { "民政局", "民政厅", "中华人民共和国民政部" },
    { "科学技术局", "科学技术厅", "中华人民共和国科学技术部" },
    { "教育局", "教育厅", "中华人民共和国教育部" },
    { "文化广电旅游局", "文化和旅游厅", "中华人民共和国文化和旅游部" },
    { "体育局", "体育局", "国家体育总局" },
    { "生态环境局", "生态环境厅", "中华人民共和国生态环境部" },
    { "卫生健康局", "卫生健康委员会", "国家卫生健康委员会" },
    { "司法局", "司法厅", "中华人民共和国司法部" },
    { "工商业联合会", "工商业联合会", "中华全国工商业联合会" },
    { "商务局", "商务厅", "中华人民共和国商务部" },
    { "农业农村局", "农业农村厅", "中华人民共和国农业农村部" },
    { "交通运输局", "交通运输厅", "中华人民共和国交通运输部" },
};

//  Fields of activity: the word in the name, the industry (free text in the
//  registry), the business unit, the kinds it goes with, a foundation's word
//  and what the business scope lists
typedef struct {
    const char *word;
    const char *industry;
    int bureau;
    unsigned kinds;
    const char *foundation;
    const char *scope [4];
} s_field_t;

static const s_field_t s_fields [] = {
    { "科技", "科学研究和技术服务", B_SCIENCE, K_SG_ALL | K (K_XUEHUI) | K (K_FUWU)
      | K (K_PEIXUN) | K (K_YANJIUYUAN) | K (K_FAZHAN), "科技创新",
      { "学术交流", "科技咨询", "科普宣传", "技术培训" } },
    { "教育", "教育", B_EDUCATION, K_SG_ALL | K (K_XUEHUI) | K (K_FUWU) | K (K_PEIXUN)
      | K (K_YANJIUYUAN) | K (K_YOUER) | K (K_FAZHAN), "教育发展",
      { "教育研究", "教师培训", "学前教育", "教育咨询服务" } },
    { "文化", "文化艺术", B_CULTURE, K_SG_ALL | K (K_FUWU) | K (K_YANJIUYUAN) | K (K_FAZHAN),
      "文化发展", { "文化交流", "艺术展演", "非物质文化遗产保护", "文化培训" } },
    { "体育", "体育", B_SPORT, K (K_XIEHUI) | K (K_LIANHEHUI) | K (K_CUJINHUI) | K (K_FUWU)
      | K (K_PEIXUN) | K (K_FAZHAN), "体育发展",
      { "组织体育比赛", "全民健身推广", "运动员培训", "裁判员培训" } },
    { "慈善", "社会工作", B_CIVIL, K (K_XIEHUI) | K (K_LIANHEHUI) | K (K_CUJINHUI)
      | K (K_FUWU) | K (K_FAZHAN), "慈善",
      { "扶贫济困", "助学助医", "公益项目资助", "慈善文化宣传" } },
    { "环境保护", "生态保护和环境治理", B_ENVIRONMENT, K_SG_ALL | K (K_FUWU)
      | K (K_YANJIUYUAN) | K (K_FAZHAN), "环境保护",
      { "环保宣传教育", "生态环境调查研究", "环境保护咨询", "垃圾分类推广" } },
    { "养老服务", "社会工作", B_CIVIL, K (K_XIEHUI) | K (K_CUJINHUI) | K (K_YANJIUHUI)
      | K (K_FUWU) | K (K_YANGLAO) | K (K_FAZHAN), "老年事业发展",
      { "居家养老服务", "老年人照料", "养老护理培训", "老年文体活动" } },
    { "医学", "卫生", B_HEALTH, K (K_XIEHUI) | K (K_XUEHUI) | K (K_YANJIUHUI) | K (K_FUWU)
      | K (K_YANJIUYUAN), "医疗救助",
      { "医学学术交流", "继续医学教育", "健康科普", "医疗咨询" } },
    { "法学", "法律服务", B_JUSTICE, K (K_XIEHUI) | K (K_XUEHUI) | K (K_YANJIUHUI)
      | K (K_FUWU) | K (K_YANJIUYUAN), "法律援助",
      { "法学研究", "法律咨询", "普法宣传", "法律援助" } },
    { "书法", "文化艺术", B_CULTURE, K (K_XIEHUI) | K (K_YANJIUHUI) | K (K_PEIXUN), NULL,
      { "书法创作交流", "书法展览", "书法培训", "青少年书法教育" } },
    { "摄影", "文化艺术", B_CULTURE, K (K_XIEHUI) | K (K_XUEHUI) | K (K_YANJIUHUI)
      | K (K_PEIXUN), NULL, { "摄影创作", "摄影展览", "摄影技术培训", "摄影交流" } },
    { "青少年", "教育", B_EDUCATION, K_SG_ALL | K (K_FUWU) | K (K_PEIXUN) | K (K_FAZHAN),
      "青少年发展", { "青少年素质教育", "青少年活动组织", "心理辅导", "夏令营活动" } },
    { "企业家", "商务服务", B_COMMERCE_FED, K (K_XIEHUI) | K (K_LIANHEHUI) | K (K_SHANGHUI)
      | K (K_CUJINHUI) | K (K_FUWU) | K (K_YANJIUYUAN), NULL,
      { "企业家交流", "经营管理培训", "行业调研", "投资信息咨询" } },
    { "志愿者", "社会工作", B_CIVIL, K (K_XIEHUI) | K (K_LIANHEHUI) | K (K_CUJINHUI)
      | K (K_FUWU) | K (K_FAZHAN), "志愿服务",
      { "志愿服务活动组织", "志愿者招募培训", "社区公益服务", "应急志愿服务" } },
    { "旅游", "旅游", B_CULTURE, K (K_XIEHUI) | K (K_CUJINHUI) | K (K_YANJIUHUI)
      | K (K_SHANGHUI) | K (K_FUWU) | K (K_YANJIUYUAN) | K (K_FAZHAN), NULL,
      { "旅游推广", "旅游行业自律", "导游培训", "旅游咨询" } },
    { "围棋", "体育", B_SPORT, K (K_XIEHUI) | K (K_LIANHEHUI) | K (K_PEIXUN), NULL,
      { "围棋比赛", "围棋培训", "棋艺交流", "段位认定" } },
    { "音乐", "文化艺术", B_CULTURE, K (K_XIEHUI) | K (K_XUEHUI) | K (K_YANJIUHUI)
      | K (K_PEIXUN) | K (K_FUWU), NULL, { "音乐创作", "音乐演出", "音乐培训", "音乐交流" } },
    { "美术", "文化艺术", B_CULTURE, K (K_XIEHUI) | K (K_YANJIUHUI) | K (K_PEIXUN), NULL,
      { "美术创作", "美术展览", "美术培训", "艺术交流" } },
    { "餐饮", "住宿和餐饮", B_COMMERCE, K (K_XIEHUI) | K (K_SHANGHUI) | K (K_FUWU), NULL,
      { "行业自律", "餐饮技能培训", "食品安全宣传", "行业信息交流" } },
    { "物流", "交通运输", B_TRANSPORT, K (K_XIEHUI) | K (K_SHANGHUI) | K (K_YANJIUYUAN)
      | K (K_FUWU), NULL, { "物流行业研究", "行业标准推广", "从业人员培训", "信息咨询" } },
    { "社会工作", "社会工作", B_CIVIL, K (K_XIEHUI) | K (K_CUJINHUI) | K (K_LIANHEHUI)
      | K (K_FUWU) | K (K_FAZHAN), NULL,
      { "社会工作服务", "个案辅导", "社区服务", "社工人才培训" } },
    { "心理健康", "卫生", B_HEALTH, K (K_XIEHUI) | K (K_YANJIUHUI) | K (K_CUJINHUI)
      | K (K_FUWU) | K (K_YANJIUYUAN), NULL,
      { "心理咨询", "心理健康教育", "心理危机干预", "心理学术交流" } },
    { "现代农业", "农业", B_AGRICULTURE, K_SG_ALL | K (K_XUEHUI) | K (K_SHANGHUI) | K (K_FUWU)
      | K (K_YANJIUYUAN) | K (K_FAZHAN), "乡村振兴",
      { "农业技术推广", "农产品营销服务", "农民培训", "农业信息咨询" } },
    { "社区", "居民服务", B_CIVIL, K (K_XIEHUI) | K (K_CUJINHUI) | K (K_FUWU) | K (K_FAZHAN),
      "社区发展", { "社区居家服务", "社区文化活动", "邻里互助", "社区治理研究" } },
};
#define S_NFIELDS (sizeof s_fields / sizeof s_fields [0])

//  Words that set apart two names of one authority
static const char *const s_qualifiers [] = {
    "青年", "老年", "妇女", "社区", "城乡", "民营", "华侨", "国际", "基层", "乡村", "职工",
    "高校", "家庭", "数字", "智慧", "绿色", "公益", "应急"
};
static const char *const s_brands [] = {
    "阳光", "蓝天", "育才", "康乐", "福寿", "颐和", "金色", "七彩", "春晖", "安康", "长青",
    "松鹤", "福星", "和谐", "幸福", "温馨", "博爱", "仁爱", "明德", "启明", "晨曦", "彩虹",
    "星辰", "童心", "爱心", "同心", "德馨", "向日葵", "未来", "朝阳"
};
static const char *const s_roads [] = {
    "人民路", "解放路", "中山路", "建设路", "和平路", "文化路", "新华路", "胜利路", "朝阳路",
    "东风路", "北京路", "长江路", "黄河路", "青年路", "学府路", "科技路", "工业大道", "滨江路",
    "湖滨路", "光明路", "幸福路", "团结路", "民主路", "健康路", "育才路", "振兴路", "迎宾大道",
    "花园路", "红旗路", "五一路", "八一路", "复兴路", "公园路", "站前路", "世纪大道", "创业路",
    "府前街", "东大街", "西大街", "南环路", "北环路", "锦绣路"
};
//  By frequency, most common first (s_surname draws the head more often)
static const char *const s_surnames [] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
    "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
    "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "欧阳"
};
static const char *const s_given_male [] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华",
    "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "阳", "建",
    "国", "志", "文", "振", "海", "峰", "东", "永", "德", "庆", "荣", "胜", "昌", "良", "松"
};
static const char *const s_given_female [] = {
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "红", "琳",
    "洁", "颖", "倩", "萍", "梅", "莉", "兰", "凤", "佳", "欣", "怡", "悦", "晶", "璐", "蕾",
    "琴", "秀", "英", "华", "云", "丹", "薇", "月", "彤", "晓", "小", "春", "桂", "玉", "敏"
};
static const char *const s_latin_male [] = {
    "James", "John", "David", "Michael", "Peter", "Daniel", "Thomas", "Mark", "Kenji",
    "Hiroshi", "Minho", "Lucas", "Hans", "Pierre", "Ahmad"
};
static const char *const s_latin_female [] = {
    "Mary", "Anna", "Sarah", "Emily", "Laura", "Susan", "Yuki", "Sakura", "Jiwoo", "Sophie",
    "Claire", "Julia", "Aisha"
};
static const char *const s_latin_last [] = {
    "Smith", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Martin", "Lee", "Tan", "Lim",
    "Wong", "Tanaka", "Suzuki", "Kim", "Park", "Schmidt", "Dubois", "Rahman"
};
//  Passport numbers: A a letter, 9 a digit
static const struct {
    const char *country, *pattern;
} s_foreign [] = {
    { "美国", "999999999" }, { "加拿大", "AA999999" }, { "英国", "999999999" },
    { "澳大利亚", "A9999999" }, { "新加坡", "K9999999A" }, { "日本", "TK9999999" },
    { "韩国", "M99999999" }, { "德国", "C99999999" }, { "法国", "99AA99999" },
    { "马来西亚", "A99999999" },
};
static const char *const s_minorities [] = {
    "壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族", "侗族",
    "布依族", "瑶族", "白族", "朝鲜族", "哈尼族", "黎族", "哈萨克族", "傣族"
};
static const struct {
    const char *name;
    int weight;
} s_political [] = {
    { "中共党员", 35 }, { "群众", 45 }, { "无党派人士", 6 }, { "中国民主同盟盟员", 4 },
    { "九三学社社员", 3 }, { "中国民主促进会会员", 3 }, { "中国农工民主党党员", 2 },
    { "共青团员", 2 },
};
static const char *const s_employers [] = {
    "%s第%s中学", "%s人民医院", "%s中心小学", "%s%s科技有限公司", "%s%s律师事务所",
    "%s%s会计师事务所", "%s文化馆", "%s图书馆", "%s%s实业有限公司", "%s少年宫", "%s中医院",
    "%s%s贸易有限公司", "%s职业技术学校", "%s%s建设工程有限公司"
};
static const char *const s_companies [] = {
    "华信", "恒达", "金盛", "中联", "宏图", "新锐", "远景", "瑞丰", "天成", "鸿运", "正信",
    "德信", "明远", "嘉禾", "永泰", "博通"
};

//  Provinces: 7th census population (2020, in 10,000s), the first two digits
//  of their postal codes, the capital's area code, and the largest minority
//  people with its share in percent
static const struct {
    const char *code;
    int population;
    const char *postal, *area, *minority;
    int minority_pct;
} s_provinces [] = {
    { "11", 2189, "10", "010", "满族", 2 }, { "12", 1387, "30", "022", "回族", 2 },
    { "13", 7461, "05", "0311", "满族", 3 }, { "14", 3492, "03", "0351", "回族", 1 },
    { "15", 2405, "01", "0471", "蒙古族", 17 }, { "21", 4259, "11", "024", "满族", 12 },
    { "22", 2407, "13", "0431", "朝鲜族", 4 }, { "23", 3185, "15", "0451", "满族", 3 },
    { "31", 2487, "20", "021", "回族", 1 }, { "32", 8475, "21", "025", "回族", 1 },
    { "33", 6457, "31", "0571", "畲族", 1 }, { "34", 6103, "23", "0551", "回族", 1 },
    { "35", 4154, "35", "0591", "畲族", 1 }, { "36", 4519, "33", "0791", "畲族", 1 },
    { "37", 10153, "25", "0531", "回族", 1 }, { "41", 9937, "45", "0371", "回族", 1 },
    { "42", 5775, "43", "027", "土家族", 4 }, { "43", 6644, "41", "0731", "土家族", 10 },
    { "44", 12601, "51", "020", "壮族", 2 }, { "45", 5013, "53", "0771", "壮族", 31 },
    { "46", 1008, "57", "0898", "黎族", 15 }, { "50", 3205, "40", "023", "土家族", 5 },
    { "51", 8367, "61", "028", "彝族", 3 }, { "52", 3856, "55", "0851", "苗族", 11 },
    { "53", 4721, "65", "0871", "彝族", 11 }, { "54", 365, "85", "0891", "藏族", 86 },
    { "61", 3953, "71", "029", "回族", 1 }, { "62", 2502, "73", "0931", "回族", 5 },
    { "63", 592, "81", "0971", "藏族", 25 }, { "64", 720, "75", "0951", "回族", 36 },
    { "65", 2585, "83", "0991", "维吾尔族", 45 },
};
#define S_NPROVINCES (sizeof s_provinces / sizeof s_provinces [0])

#define S_COUNT(array) (sizeof (array) / sizeof (array) [0])
#define S_PICK(rng, array) ((array) [s_below ((rng), S_COUNT (array))])

//  ---------------------------------------------------------------------
//  Numbers: xoshiro256** (Blackman and Vigna), seeded through splitmix64

typedef struct {
    uint64_t s [4];
} s_rng_t;

static uint64_t
s_mix (uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

//  The stream of (seed, purpose, a, b): the same four, the same numbers.
static void
s_rng_init (s_rng_t *rng, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b)
{
    uint64_t x = s_mix (seed + 0x9E3779B97F4A7C15ull);
    x = s_mix (x ^ purpose * 0xD1B54A32D192ED03ull);
    x = s_mix (x ^ (a + 1) * 0x8CB92BA72F3D8DD7ull);
    x = s_mix (x ^ (b + 1) * 0xABC98388FB8FAC03ull);
    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ull;
        rng->s [i] = s_mix (x);
    }
}

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t
s_next (s_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = s_rotl (s [1] * 5, 7) * 9;
    uint64_t t = s [1] << 17;
    s [2] ^= s [0];
    s [3] ^= s [1];
    s [1] ^= s [2];
    s [0] ^= s [3];
    s [2] ^= t;
    s [3] = s_rotl (s [3], 45);
    return result;
}

//  0 .. n - 1 (multiply and shift: a bias below 2^-32, no loop)
static uint32_t
s_below (s_rng_t *rng, uint64_t n)
{
    return (uint32_t) (((s_next (rng) >> 32) * n) >> 32);
}

//  [0, 1), exactly: 53 bits
static double
s_unit (s_rng_t *rng)
{
    return (double) (s_next (rng) >> 11) * 0x1.0p-53;
}

static bool
s_chance (s_rng_t *rng, double p)
{
    return s_unit (rng) < p;
}

//  FNV-1a, for sets of strings
static uint64_t
s_hash (const char *s)
{
    return npo_fnv1a (s, strlen (s));
}

//  ---------------------------------------------------------------------
//  A set of 64-bit keys, each with a number (open addressing), for what
//  must be unique

typedef struct {
    uint64_t *keys;                 //  0: a free slot
    uint32_t *values;
    size_t cap, n;
} s_set_t;

//  The number of key, added as 0 when key was not there (*added set).
static uint32_t *
s_set_slot (s_set_t *set, uint64_t key, bool *added)
{
    key = key? key: 1;
    if (2 * (set->n + 1) > set->cap) {
        size_t cap = set->cap? set->cap * 2: 1 << 16;
        uint64_t *keys = calloc (cap, sizeof *keys);
        uint32_t *values = calloc (cap, sizeof *values);
        if (!keys || !values)
            abort ();
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->keys [i])
                continue;
            size_t k = s_mix (set->keys [i]) & (cap - 1);
            while (keys [k])
                k = (k + 1) & (cap - 1);
            keys [k] = set->keys [i];
            values [k] = set->values [i];
        }
        free (set->keys);
        free (set->values);
        set->keys = keys;
        set->values = values;
        set->cap = cap;
    }
    size_t k = s_mix (key) & (set->cap - 1);
    while (set->keys [k] && set->keys [k] != key)
        k = (k + 1) & (set->cap - 1);
    *added = !set->keys [k];
    if (*added) {
        set->keys [k] = key;
        set->n++;
    }
    return &set->values [k];
}

//  Adds key; returns false when it was there already.
static bool
s_set_add (s_set_t *set, uint64_t key)
{
    bool added;
    s_set_slot (set, key, &added);
    return added;
}

static void
s_set_free (s_set_t *set)
{
    free (set->keys);
    free (set->values);
}

//  ---------------------------------------------------------------------
//  Dates, as days since 1970-01-01 (civil calendar after H. Hinnant)

static int64_t
s_days (int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0? y: y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2? -3: 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
s_civil (int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0? z: z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10? mp + 3: mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

//  day + years; 29 February becomes the 28th in a common year
static int64_t
s_add_years (int64_t day, int years)
{
    int y, m, d;
    s_civil (day, &y, &m, &d);
    y += years;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return s_days (y, m, m == 2 && d == 29 && !leap? 28: d);
}

//  YYYY-MM-DD into out (11 bytes), years 1000 to 9999
static void
s_date (char *out, int64_t day)
{
    int y, m, d;
    s_civil (day, &y, &m, &d);
    const int parts [] = { y / 100, y % 100, -1, m, -1, d };
    for (int i = 0, k = 0; i < 6; i++)
        if (parts [i] < 0)
            out [k++] = '-';
        else {
            out [k++] = (char) ('0' + parts [i] / 10);
            out [k++] = (char) ('0' + parts [i] % 10);
        }
    out [10] = 0;
}

//  A YYYY-MM-DD this file wrote, back into days
static int64_t
s_parse_date (const char *s)
{
    return s_days (atoi (s), atoi (s + 5), atoi (s + 8));
}

//  A moment (seconds since the epoch) as Beijing time: 2026-11-21T16:05:00+08:00
static void
s_time (char *out, size_t size, int64_t t)
{
    int64_t local = t + 8 * 3600;
    int64_t day = local / S_DAY - (local % S_DAY < 0);
    int64_t secs = local - day * S_DAY;
    char date [11];
    s_date (date, day);
    snprintf (out, size, "%sT%02d:%02d:%02d+08:00", date, (int) (secs / 3600),
              (int) (secs / 60 % 60), (int) (secs % 60));
}

//  n (1 .. 99999) in Chinese numerals: 二, 十二, 一百零五
static void
s_cn_number (char *out, size_t size, long n)
{
    static const char *const digits [] = {
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九"
    };
    static const char *const units [] = { "", "十", "百", "千", "万" };
    int d [5], len = 0;
    for (; n > 0 && len < 5; n /= 10)
        d [len++] = (int) (n % 10);
    size_t used = 0;
    out [0] = 0;
    bool zero = false;
    for (int i = len - 1; i >= 0; i--) {
        if (d [i] == 0) {
            zero = true;
            continue;
        }
        bool ten = d [i] == 1 && i == 1 && i == len - 1;      //  十二, not 一十二
        used += snprintf (out + used, size - used, "%s%s%s", zero? "零": "",
                          ten? "": digits [d [i]], units [i]);
        zero = false;
    }
}

//  ---------------------------------------------------------------------
//  Records: fields in order, changed by the errors, then one JSON line

#define S_MAX_FIELDS    24
#define S_POOL          8192

typedef struct {
    int n;
    const char *key [S_MAX_FIELDS];
    const char *value [S_MAX_FIELDS];   //  NULL: left out
    bool raw [S_MAX_FIELDS];            //  written as it is: true, false or an integer
    size_t used;
    char pool [S_POOL];                 //  the values
} s_rec_t;

typedef struct {
    char *data;
    size_t len, cap;
} s_buf_t;

static void
s_rec_reset (s_rec_t *rec)
{
    rec->n = 0;
    rec->used = 0;
}

//  Adds key (not in the record yet) with value. Returns its index.
static int
s_add (s_rec_t *rec, const char *key, const char *value)
{
    size_t len = strlen (value) + 1;
    assert (rec->used + len <= S_POOL && rec->n < S_MAX_FIELDS);
    rec->key [rec->n] = key;
    rec->value [rec->n] = memcpy (rec->pool + rec->used, value, len);
    rec->raw [rec->n] = false;
    rec->used += len;
    return rec->n++;
}

//  Sets key to value: in place of the value it had, or added. Returns its index.
static int
s_put (s_rec_t *rec, const char *key, const char *value)
{
    int i = 0;
    while (i < rec->n && strcmp (rec->key [i], key))
        i++;
    if (i == rec->n)
        return s_add (rec, key, value);
    else {
        size_t len = strlen (value) + 1;
        assert (rec->used + len <= S_POOL);
        rec->value [i] = memcpy (rec->pool + rec->used, value, len);
        rec->raw [i] = false;
        rec->used += len;
        return i;
    }
}

//  s_put with a printf format
static void
s_putf (s_rec_t *rec, const char *key, const char *format, ...)
{
    char value [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (value, sizeof value, format, args);
    va_end (args);
    s_put (rec, key, value);
}

//  Adds key as a JSON boolean
static void
s_add_bool (s_rec_t *rec, const char *key, bool value)
{
    rec->raw [s_add (rec, key, value? "true": "false")] = true;
}

//  Copies from into to, values and all (a record's values live in its pool)
static void
s_rec_copy (s_rec_t *to, const s_rec_t *from)
{
    *to = *from;
    for (int i = 0; i < from->n; i++)
        if (from->value [i])
            to->value [i] = to->pool + (from->value [i] - from->pool);
}

static void
s_put_date (s_rec_t *rec, const char *key, int64_t day)
{
    char date [11];
    s_date (date, day);
    s_put (rec, key, date);
}

static void
s_add_date (s_rec_t *rec, const char *key, int64_t day)
{
    char date [11];
    s_date (date, day);
    s_add (rec, key, date);
}

//  The value of key, or NULL
static const char *
s_get (const s_rec_t *rec, const char *key)
{
    for (int i = 0; i < rec->n; i++)
        if (strcmp (rec->key [i], key) == 0)
            return rec->value [i];
    return NULL;
}

static void
s_drop (s_rec_t *rec, const char *key)
{
    for (int i = 0; i < rec->n; i++)
        if (strcmp (rec->key [i], key) == 0)
            rec->value [i] = NULL;
}

static void
s_buf_add (s_buf_t *buf, const char *s, size_t n)
{
    if (buf->len + n > buf->cap) {
        size_t cap = (buf->len + n) * 2;
        char *grown = realloc (buf->data, cap);
        if (!grown)
            abort ();
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy (buf->data + buf->len, s, n);
    buf->len += n;
}

//  Appends s as a JSON string: quotes, backslashes and control characters
//  escaped, UTF-8 as it is.
static void
s_buf_json (s_buf_t *buf, const char *s)
{
    s_buf_add (buf, "\"", 1);
    while (*s) {
        size_t plain = 0;
        unsigned char c;
        while ((c = (unsigned char) s [plain]) >= 0x20 && c != '"' && c != '\\')
            plain++;
        s_buf_add (buf, s, plain);
        s += plain;
        if (!*s)
            break;
        char escape [8];
        int n = *s == '"'? snprintf (escape, sizeof escape, "\\\""):
                *s == '\\'? snprintf (escape, sizeof escape, "\\\\"):
                *s == '\t'? snprintf (escape, sizeof escape, "\\t"):
                *s == '\n'? snprintf (escape, sizeof escape, "\\n"):
                *s == '\r'? snprintf (escape, sizeof escape, "\\r"):
                snprintf (escape, sizeof escape, "\\u%04x", (unsigned char) *s);
        s_buf_add (buf, escape, (size_t) n);
        s++;
    }
    s_buf_add (buf, "\"", 1);
}

//  The record as one line of JSON Lines, into buf (emptied first)
static void
s_rec_line (const s_rec_t *rec, s_buf_t *buf)
{
    buf->len = 0;
    s_buf_add (buf, "{", 1);
    bool first = true;
    for (int i = 0; i < rec->n; i++) {
        if (!rec->value [i])
            continue;
        if (!first)
            s_buf_add (buf, ",", 1);
        first = false;
        s_buf_json (buf, rec->key [i]);
        s_buf_add (buf, ":", 1);
        if (rec->raw [i])
            s_buf_add (buf, rec->value [i], strlen (rec->value [i]));
        else
            s_buf_json (buf, rec->value [i]);
    }
    s_buf_add (buf, "}\n", 2);
}

//  ---------------------------------------------------------------------
//  Divisions (common/division_data.c): provinces, their cities and counties

typedef struct {
    const division_t *d;
    char prefix [96];               //  how names and addresses there begin
    size_t lo, hi;                  //  a city's counties: counties [lo .. hi)
} s_place_t;

typedef struct {
    const division_t *d;            //  NN0000, or 100000 for the ministry
    int info;                       //  its row in s_provinces
    bool national;                  //  the ministry's own organizations
    bool municipality;              //  北京, 天津, 上海, 重庆: counties under it directly
    s_place_t *cities, *counties;   //  cities: real ones only, not 市辖区 and the like
    size_t ncities, ncounties;
} s_prov_t;

static bool
s_placeholder (const char *name)
{
    return strcmp (name, "市辖区") == 0 || strcmp (name, "县") == 0
        || strstr (name, "直辖县级行政区划") != NULL;
}

static bool
s_ends_with (const char *s, const char *end)
{
    size_t n = strlen (s), k = strlen (end);
    return n >= k && strcmp (s + n - k, end) == 0;
}

//  Fills p with province nn ("44") from the division table. Returns 0, or
//  -1 when the table has no such province.
static int
s_prov_build (s_prov_t *p, const char *nn)
{
    char code [7];
    snprintf (code, sizeof code, "%.2s0000", nn);
    memset (p, 0, sizeof *p);
    p->d = division_find (code);
    p->info = -1;
    for (size_t i = 0; i < S_NPROVINCES; i++)
        if (strncmp (s_provinces [i].code, nn, 2) == 0)
            p->info = (int) i;
    if (!p->d || p->info < 0)
        return -1;
    p->municipality = !strcmp (nn, "11") || !strcmp (nn, "12") || !strcmp (nn, "31")
                   || !strcmp (nn, "50");
    p->cities = calloc (npo_divisions_len, sizeof *p->cities);
    p->counties = calloc (npo_divisions_len, sizeof *p->counties);
    if (!p->cities || !p->counties)
        abort ();
    for (size_t i = 0; i < npo_divisions_len; i++) {
        const division_t *d = &npo_divisions [i];
        if (strncmp (d->code, nn, 2) || d == p->d)
            continue;
        if (strcmp (d->code + 4, "00") == 0) {
            if (!s_placeholder (d->name)) {
                s_place_t *city = &p->cities [p->ncities++];
                city->d = d;
                snprintf (city->prefix, sizeof city->prefix, "%s", d->name);
            }
            continue;
        }
        s_place_t *county = &p->counties [p->ncounties++];
        county->d = d;
        snprintf (code, sizeof code, "%.4s00", d->code);
        const division_t *city = division_find (code);
        //  北京市东城区, 广州市天河区; a county-level city or one directly
        //  under the province by its own name (昆山市, 仙桃市)
        if (p->municipality)
            snprintf (county->prefix, sizeof county->prefix, "%s%s", p->d->name, d->name);
        else
        if (!city || s_placeholder (city->name) || s_ends_with (d->name, "市"))
            snprintf (county->prefix, sizeof county->prefix, "%s", d->name);
        else
            snprintf (county->prefix, sizeof county->prefix, "%s%s", city->name, d->name);
    }
    for (size_t c = 0; c < p->ncities; c++) {
        s_place_t *city = &p->cities [c];
        city->lo = city->hi = 0;
        for (size_t k = 0; k < p->ncounties; k++)
            if (strncmp (p->counties [k].d->code, city->d->code, 4) == 0) {
                if (city->hi == 0)
                    city->lo = k;
                city->hi = k + 1;
            }
    }
    return 0;
}

static void
s_prov_free (s_prov_t *p)
{
    free (p->cities);
    free (p->counties);
}

//  ---------------------------------------------------------------------
//  The generator

typedef struct {
    const char *id_type;
    char id [24];
    char name [64];
    int64_t birth;
    bool male;
    const char *ethnicity, *nationality;
} s_person_t;

typedef struct {
    s_person_t p;
    int position;                   //  the post held (or, if the organization
    int64_t start, appointed;       //  ended, held to its end); appointed: -1
    int prev;                       //  an earlier post, other position; -1: none
    int64_t prev_start, prev_end, prev_appointed;
    char employer [160];            //  "" when not given
} s_officer_t;

typedef struct {
    uint64_t index;
    int type;
    int field, kind;
    const s_prov_t *prov;
    const s_place_t *place;         //  the authority's city or county; NULL: province
    const s_place_t *site;          //  where it is: a county, or a city without any
    char division [7];              //  authority_division
    const char *prefix;             //  how its names begin
    char uscc [USCC_LEN + 1];
    char name [256];
    int64_t approved, until;        //  until: the last day of its posts
    int status;
    int officers;
    char capital [24];              //  04: registered capital, activity area
    char area [96];
} s_org_t;

typedef struct {
    uint64_t seed;
    long orgs;
    double rate;
    const char *province;           //  "44", "10" or "all"
    const char *as_of_text;
    int64_t as_of;                  //  seconds since the epoch
    int64_t last;                   //  the last day a date may take
    const char *dir;
    s_prov_t *provs;                //  the provinces organizations or people come from
    size_t nprovs;
    s_prov_t national;              //  --province 10
    long weight_total;
    uint64_t code_offset;           //  of organization codes (s_org_code)
    s_set_t ids, names;             //  identity numbers and names taken
    s_set_t ordinals;               //  the last ordinal given to a name
    s_officer_t officers [S_OFFICERS_MAX];
    s_rec_t rec;
    s_rec_t basic;                  //  the organization's 01 record, without its error
    s_buf_t line;
    FILE *out [S_NFILES];           //  the sections and expected-findings.jsonl
    FILE *found [S_NFILES];         //  findings of the sections after 01, until the end
    long long lines [S_NFILES];
    long long bytes [S_NFILES];
    long long injected [R_RULES];
} s_gen_t;

//  One of the provinces, weighted by population
static const s_prov_t *
s_weighted_prov (s_gen_t *self, s_rng_t *rng)
{
    if (self->nprovs == 1)
        return &self->provs [0];
    long pick = (long) s_below (rng, (uint64_t) self->weight_total);
    size_t i = 0;
    while (pick >= s_provinces [self->provs [i].info].population) {
        pick -= s_provinces [self->provs [i].info].population;
        i++;
    }
    return &self->provs [i];
}

//  The province of an organization: the one asked for, or the ministry, or
//  (all) one weighted by population
static const s_prov_t *
s_pick_prov (s_gen_t *self, s_rng_t *rng)
{
    return self->national.d? &self->national: s_weighted_prov (self, rng);
}

static const s_place_t *
s_pick_county (s_rng_t *rng, const s_prov_t *prov)
{
    return &prov->counties [s_below (rng, prov->ncounties)];
}

static void
s_chinese_name (s_rng_t *rng, bool male, char *out, size_t size)
{
    //  u squared: the common surnames come first and most often
    double u = s_unit (rng);
    const char *surname = s_surnames [(size_t) (u * u * S_COUNT (s_surnames))];
    const char *a = male? S_PICK (rng, s_given_male): S_PICK (rng, s_given_female);
    const char *b = s_chance (rng, 0.8)? (male? S_PICK (rng, s_given_male):
                                                S_PICK (rng, s_given_female)): "";
    snprintf (out, size, "%s%s%s", surname, a, b);
}

static void
s_mobile (s_rng_t *rng, char *out)
{
    static const char *const heads [] = {
        "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "187", "188",
        "189", "177", "180", "199", "133", "153", "130", "131", "132", "155", "156", "166"
    };
    snprintf (out, 12, "%s%08u", S_PICK (rng, heads), s_below (rng, 100000000));
}

//  A landline of the province's capital: 020-38621234, 0571-8765432
static void
s_landline (s_rng_t *rng, const s_prov_t *prov, char *out, size_t size)
{
    const char *area = s_provinces [prov->info].area;
    if (strlen (area) == 3)
        snprintf (out, size, "%s-%u%07u", area, 2 + s_below (rng, 7), s_below (rng, 10000000));
    else
        snprintf (out, size, "%s-%u%06u", area, 2 + s_below (rng, 7), s_below (rng, 1000000));
}

//  A postal code of a place: the province's two digits, the last three of its
//  division code, then a delivery digit
static void
s_postal (s_rng_t *rng, const s_prov_t *prov, const s_place_t *site, char *out)
{
    snprintf (out, 7, "%s%.3s%u", s_provinces [prov->info].postal, site->d->code + 3,
              s_below (rng, 10));
}

static void
s_address (s_rng_t *rng, const s_place_t *site, char *out, size_t size)
{
    int n = snprintf (out, size, "%s%s%u号", site->prefix, S_PICK (rng, s_roads),
                      1 + s_below (rng, 899));
    double u = s_unit (rng);
    if (u < 0.3)
        snprintf (out + n, size - (size_t) n, "%u栋%u室", 1 + s_below (rng, 12),
                  100 * (1 + s_below (rng, 20)) + 1 + s_below (rng, 8));
    else
    if (u < 0.5)
        snprintf (out + n, size - (size_t) n, "%u楼", 2 + s_below (rng, 20));
}

//  The code of a government body of a division (department 1 机构编制, type 1
//  机关): its organization code is made of "MB", the division packed as the
//  registry packs it (docs/codes.md) and the body, so that one body always has
//  one code and two bodies never share one.
static void
s_gov_code (char *out, const char *division, int body)
{
    uint32_t area = (uint32_t) ((division [0] - '0') * 10 + division [1] - '0' - 10) * 10000
                  + (uint32_t) atoi (division + 2);
    char code [ORGCODE_LEN + 1] = "MB";
    for (int i = 5; i >= 2; i--, area /= 31)
        code [i] = uscc_alphabet [area % 31];
    code [6] = uscc_alphabet [body];
    code [7] = '1';
    code [8] = orgcode_check_char (code);
    code [9] = 0;
    int rc = uscc_build (out, '1', '1', division, code);
    assert (rc == 0);
    (void) rc;
}

//  The organization code of organization i (chars 9-17 of its USCC).
//
//  The registry assigns base31 (division) + base31 (seq) (orgcode_assign,
//  docs/codes.md), where the packed division is below 730,000 = 24.5 x 31^3:
//  the first char of its codes is at most the 25th of the alphabet (Q). Ours
//  begin with R, T, U, W, X or Y, so a generated code can never be one the
//  registry gives out, and a generated set imported beside registered
//  organizations never takes their codes. The 8-char body is v in base 31,
//  v = (a i + offset) mod 6 x 31^7, one to one because a is a prime other than
//  2, 3 and 31: unique within a set, and the offset (from the seed and the
//  province) makes other sets differ.
#define S_B31_7         27512614111ull          //  31^7
#define S_CODE_SPACE    (6 * S_B31_7)
#define S_CODE_MUL      10000000019ull          //  prime, below S_CODE_SPACE
static void
s_org_code (const s_gen_t *self, uint64_t i, char *out)
{
    uint64_t v = (S_CODE_MUL * i + self->code_offset) % S_CODE_SPACE;
    out [0] = uscc_alphabet [25 + v / S_B31_7];
    v %= S_B31_7;
    for (int k = 7; k >= 1; k--, v /= 31)
        out [k] = uscc_alphabet [v % 31];
    out [8] = orgcode_check_char (out);
    out [9] = 0;
}

//  An old (pre-2016) organization code, printed 50603116-2. Old codes of
//  social organizations begin with 5; the registry's never do, as that would
//  be a division of province 24 to 27, which do not exist. One to one in i
//  (1000003 is prime, so prime to 10^7).
static void
s_old_code (const s_gen_t *self, uint64_t i, char *out)
{
    uint64_t v = (1000003ull * i + self->code_offset) % 10000000ull;
    char body [9];
    snprintf (body, sizeof body, "5%07llu", (unsigned long long) v);
    snprintf (out, 11, "%s-%c", body, orgcode_check_char (body));
}

//  The GB 11643 check character of id (17 digits, room for 19 bytes): the one
//  of 0-9 and X that codes.c accepts, so the rule lives in one place.
static char
s_resid_check (char *id)
{
    for (const char *c = "0123456789X"; *c; c++) {
        id [17] = *c;
        id [18] = 0;
        if (resid_valid (id))
            return *c;
    }
    assert (false);                     //  (the birth dates are built real)
    return 0;
}

//  A person born by latest_birth, with an identity number no one else in the
//  set has: mostly resident IDs of a county of prov, a few passports and Hong
//  Kong and Macao permits.
static void
s_person (s_gen_t *self, s_rng_t *rng, const s_prov_t *prov, int64_t latest_birth,
          s_person_t *p)
{
    int64_t first = s_days (1950, 1, 1), last = s_days (2000, 12, 31);
    last = latest_birth < last? latest_birth: last;
    double u = s_unit (rng);
    while (true) {
        p->male = s_chance (rng, 0.62);
        p->birth = first + s_below (rng, (uint64_t) (last - first + 1));
        uint64_t key;
        if (u < 0.97) {
            //  Born in a county of the province (the ministry's: of any)
            const s_prov_t *home = prov->national? s_weighted_prov (self, rng): prov;
            int y, m, d;
            s_civil (p->birth, &y, &m, &d);
            snprintf (p->id, sizeof p->id, "%s%04d%02d%02d%03u",
                      s_pick_county (rng, home)->d->code, y, m, d,
                      2 * s_below (rng, 500) + (p->male? 1: 0));
            key = strtoull (p->id, NULL, 10);
            s_resid_check (p->id);
            p->id_type = "resident_id";
            int pct = s_provinces [home->info].minority_pct;
            double e = s_unit (rng);
            p->ethnicity = e < pct / 100.0? s_provinces [home->info].minority:
                           e < pct / 100.0 + 0.03? S_PICK (rng, s_minorities): "汉族";
            p->nationality = "中国";
            s_chinese_name (rng, p->male, p->name, sizeof p->name);
        }
        else
        if (u < 0.985) {
            size_t which = s_below (rng, S_COUNT (s_foreign));
            const char *pattern = s_foreign [which].pattern;
            size_t n = strlen (pattern);
            for (size_t k = 0; k < n; k++)
                p->id [k] = pattern [k] == '9'? (char) ('0' + s_below (rng, 10)):
                            pattern [k] == 'A'? (char) ('A' + s_below (rng, 26)): pattern [k];
            p->id [n] = 0;
            key = s_hash (p->id) | 1ull << 63;
            p->id_type = "passport";
            p->ethnicity = "其他";
            p->nationality = s_foreign [which].country;
            snprintf (p->name, sizeof p->name, "%s %s",
                      p->male? S_PICK (rng, s_latin_male): S_PICK (rng, s_latin_female),
                      S_PICK (rng, s_latin_last));
        }
        else {
            snprintf (p->id, sizeof p->id, "%c%08u", s_chance (rng, 0.85)? 'H': 'M',
                      s_below (rng, 100000000));
            key = s_hash (p->id) | 1ull << 63;
            p->id_type = "hk_macao_permit";
            p->ethnicity = "汉族";
            p->nationality = "中国";
            s_chinese_name (rng, p->male, p->name, sizeof p->name);
        }
        if (s_set_add (&self->ids, key))
            return;
    }
}

//  The name of the organization, unique within its authority: a field and a
//  kind of its type after the authority's place (a brand for a kindergarten
//  or an old people's home), with a qualifier or another brand when that is
//  taken, and when every draw is taken the last with an ordinal after the
//  place (广州市天河区第二阳光幼儿园).
static void
s_org_name (s_gen_t *self, s_rng_t *rng, s_org_t *org)
{
    char rest [200], key [320];
    for (int attempt = 0; attempt < 24; attempt++) {
        bool qualified = attempt > 0 || s_chance (rng, 0.3);
        const s_field_t *field;
        do {
            org->field = (int) s_below (rng, S_NFIELDS);
            field = &s_fields [org->field];
        } while (org->type == S_FD? !field->foundation:
                 !(field->kinds & (org->type == S_SG? 0x3Fu: 0xFC0u)));
        if (org->type == S_FD)
            snprintf (rest, sizeof rest, "%s%s基金会", qualified? S_PICK (rng, s_brands): "",
                      field->foundation);
        else {
            do
                org->kind = (int) s_below (rng, K_KINDS);
            while (!(field->kinds & K (org->kind)) || s_kinds [org->kind].type != org->type);
            if (s_kinds [org->kind].brand)
                snprintf (rest, sizeof rest, "%s%s", S_PICK (rng, s_brands),
                          s_kinds [org->kind].word);
            else
                snprintf (rest, sizeof rest, "%s%s%s", qualified? S_PICK (rng, s_qualifiers): "",
                          field->word, s_kinds [org->kind].word);
        }
        snprintf (org->name, sizeof org->name, "%s%s", org->prefix, rest);
        snprintf (key, sizeof key, "%s\x1f%s", org->division, org->name);
        if (s_set_add (&self->names, s_hash (key)))
            return;
    }
    //  (key: the last draw) Ordinals from 二 on, the next one kept per name
    bool added;
    uint32_t *ordinal = s_set_slot (&self->ordinals, s_hash (key), &added);
    do {
        char number [48];
        s_cn_number (number, sizeof number, ++*ordinal + 1);
        snprintf (org->name, sizeof org->name, "%s第%s%s", org->prefix, number, rest);
        snprintf (key, sizeof key, "%s\x1f%s", org->division, org->name);
    } while (!s_set_add (&self->names, s_hash (key)));
}

//  Who holds which post: one legal representative, one supervisor, for a
//  social service institution often a responsible person, sometimes a
//  secretary-general (other), directors for the rest. Posts begin at the
//  board's last election (every 5 years from approval) or later in its term;
//  some officers held another post in the term before. In an organization
//  that ended, every post ends on its last day.
static void
s_officers (s_gen_t *self, s_rng_t *rng, s_org_t *org)
{
    int n = org->type == S_FD? 5 + (int) s_below (rng, 5): 3 + (int) s_below (rng, 7);
    int terms = 0;
    while (s_add_years (org->approved, 5 * (terms + 1)) <= org->until)
        terms++;
    int64_t elected = s_add_years (org->approved, 5 * terms);
    int64_t before = terms > 0? s_add_years (org->approved, 5 * (terms - 1)): -1;
    for (int i = 0; i < n; i++) {
        s_officer_t *o = &self->officers [i];
        o->position = i == 0? P_LR: i == 1? P_SUPERVISOR:
                      i == 2 && org->type == S_SS && s_chance (rng, 0.5)? P_RESPONSIBLE:
                      i == n - 1 && s_chance (rng, 0.2)? P_OTHER: P_DIRECTOR;
        o->start = elected;
        if (org->until > elected && s_chance (rng, 0.25))
            o->start = elected + 1 + s_below (rng, (uint64_t) (org->until - elected));
        s_person (self, rng, org->prov, s_add_years (o->start, -22), &o->p);
        o->appointed = -1;
        if (s_chance (rng, 0.85)) {
            o->appointed = o->start == org->approved? o->start:
                           o->start - s_below (rng, 11);
            o->appointed = o->appointed < org->approved? org->approved: o->appointed;
        }
        o->prev = -1;
        if (before >= 0 && s_chance (rng, 0.35) && o->p.birth <= s_add_years (before, -22)) {
            do
                o->prev = (int) s_below (rng, S_COUNT (s_positions));
            while (o->prev == o->position || (o->prev == P_RESPONSIBLE && org->type != S_SS));
            o->prev_start = before;
            o->prev_end = elected - 1;
            o->prev_appointed = before;
        }
        o->employer [0] = 0;
        if (s_chance (rng, 0.7)) {
            const char *format = S_PICK (rng, s_employers);
            char number [48];
            s_cn_number (number, sizeof number, 1 + s_below (rng, 20));
            const char *second = strstr (format, "第")? number: S_PICK (rng, s_companies);
            snprintf (o->employer, sizeof o->employer, format, org->site->prefix, second);
        }
    }
    org->officers = n;
}

//  Draws the organization: type, authority, name, code, dates, officers.
static void
s_org_make (s_gen_t *self, s_rng_t *rng, s_org_t *org)
{
    double u = s_unit (rng);
    org->type = u < 0.41? S_SG: u < 0.99? S_SS: S_FD;
    org->prov = s_pick_prov (self, rng);
    const s_prov_t *prov = org->prov;
    //  Registered by a county's bureau 70%, a city's 25%, the province's 5%;
    //  foundations by a city or the province
    u = s_unit (rng);
    int level = org->type == S_FD? (u < 0.6? 1: 2): u < 0.70? 0: u < 0.95? 1: 2;
    if (prov->national || (level == 1 && prov->ncities == 0))
        level = 2;
    org->place = level == 0? s_pick_county (rng, prov):
                 level == 1? &prov->cities [s_below (rng, prov->ncities)]: NULL;
    snprintf (org->division, sizeof org->division, "%s",
              org->place? org->place->d->code: prov->d->code);
    //  Where it is: in the authority's county, a county of its city, or of
    //  the capital (the first city)
    const s_place_t *city = level == 1? org->place: level == 2 && prov->ncities? prov->cities: NULL;
    if (level == 0)
        org->site = org->place;
    else
    if (city && city->hi > city->lo)
        org->site = &prov->counties [city->lo + s_below (rng, city->hi - city->lo)];
    else
        org->site = city? city: s_pick_county (rng, prov);
    org->prefix = org->place? org->place->prefix: prov->national? "中国": prov->d->name;
    s_org_name (self, rng, org);

    char code [ORGCODE_LEN + 1];
    s_org_code (self, org->index, code);
    int rc = uscc_build (org->uscc, '5', (char) ('1' + org->type), org->division, code);
    assert (rc == 0);
    (void) rc;

    //  Approved from 1990 on, more of them lately; 90% active
    u = s_unit (rng);
    org->status = u < 0.90? ST_ACTIVE: u < 0.97? ST_DEREGISTERED: ST_REVOKED;
    int64_t first = s_days (1990, 1, 1);
    int64_t last = org->status == ST_ACTIVE? self->last: self->last - 730;
    org->approved = first + (int64_t) ((double) (last - first) * sqrt (s_unit (rng)));
    org->until = self->last;
    if (org->status != ST_ACTIVE)
        org->until = org->approved + 365
                   + s_below (rng, (uint64_t) (self->last - org->approved - 365 + 1));
    s_officers (self, rng, org);
}

//  A moment in the 24 hours before --as-of (a minute's margin each side)
static void
s_source_time (s_gen_t *self, s_rng_t *rng, s_rec_t *rec)
{
    char when [40];
    s_time (when, sizeof when, self->as_of - 60 - s_below (rng, S_DAY - 120));
    s_add (rec, "source_updated_at", when);
}

//  A body of the organization's level: 广州市天河区民政局, 广东省民政厅, 北京市教育局
static void
s_body_name (const s_org_t *org, int bureau, char *out, size_t size)
{
    if (org->prov->national)
        snprintf (out, size, "%s", s_bureaus [bureau].national);
    else
    if (org->place)
        snprintf (out, size, "%s%s", org->place->prefix, s_bureaus [bureau].local);
    else
        snprintf (out, size, "%s%s", org->prov->d->name, org->prov->municipality?
                  s_bureaus [bureau].local: s_bureaus [bureau].provincial);
}

//  Section 01: the organization
static void
s_org_record (s_gen_t *self, s_rng_t *rng, const s_org_t *org, s_rec_t *rec)
{
    const s_field_t *field = &s_fields [org->field];
    char text [1024], code [USCC_LEN + 1];
    s_rec_reset (rec);
    s_add (rec, "uscc", org->uscc);
    s_add (rec, "name", org->name);
    s_add (rec, "type", s_type_names [org->type]);
    s_gov_code (code, org->division, B_CIVIL);
    s_add (rec, "registration_authority_code", code);
    s_body_name (org, B_CIVIL, text, sizeof text);
    s_add (rec, "registration_authority", text);
    //  Chambers of commerce are decoupled from government (脱钩); of the rest
    //  some are too, and half register directly, without a business unit
    bool decoupled = (org->type == S_SG && org->kind == K_SHANGHUI) || s_chance (rng, 0.2);
    if (!decoupled && s_chance (rng, org->type == S_FD? 0.6: 0.5)) {
        s_gov_code (code, org->division, 1 + field->bureau);
        s_add (rec, "business_unit_code", code);
        s_body_name (org, field->bureau, text, sizeof text);
        s_add (rec, "business_unit", text);
    }
    s_add_bool (rec, "decoupled", decoupled);
    if (org->prov->national)
        snprintf (text, sizeof text, "中共民政部社会组织委员会");
    else
        snprintf (text, sizeof text, "中共%s社会组织委员会",
                  org->place? org->place->prefix: org->prov->d->name);
    s_add (rec, "party_work_body", text);
    s_add (rec, "industry", field->industry);
    s_add (rec, "legal_representative", self->officers [0].p.name);
    s_add (rec, "authority_division", org->division);
    s_add (rec, "address_division", org->site->d->code);
    s_address (rng, org->site, text, sizeof text);
    s_add (rec, "address", text);
    s_postal (rng, org->prov, org->site, text);
    s_add (rec, "postal_code", text);
    s_chinese_name (rng, s_chance (rng, 0.4), text, sizeof text);
    s_add (rec, "contact_name", text);
    if (s_chance (rng, 0.5))
        s_mobile (rng, text);
    else
        s_landline (rng, org->prov, text, sizeof text);
    s_add (rec, "contact_phone", text);
    //  Two to four of the field's activities
    unsigned taken = 0;
    size_t used = 0;
    for (int n = 2 + (int) s_below (rng, 3); n > 0; n--) {
        unsigned k;
        do
            k = s_below (rng, 4);
        while (taken & (1u << k));
        taken |= 1u << k;
        used += snprintf (text + used, sizeof text - used, "%s%s", used? "、": "",
                          field->scope [k]);
    }
    s_add (rec, "business_scope", text);
    s_add_date (rec, "approved_on", org->approved);
    s_add (rec, "status", s_statuses [org->status]);
    if (org->approved < s_days (2016, 1, 1) && s_chance (rng, 0.5)) {
        s_old_code (self, org->index, text);
        s_add (rec, "old_org_code", text);
    }
    s_source_time (self, rng, rec);
}

//  Section 03: one post (the earlier one when prev)
static void
s_post_record (s_gen_t *self, s_rng_t *rng, const s_org_t *org, const s_officer_t *o,
               bool prev, s_rec_t *rec)
{
    s_rec_reset (rec);
    s_add (rec, "org_uscc", org->uscc);
    s_add (rec, "id_type", o->p.id_type);
    s_add (rec, "id_number", o->p.id);
    s_add (rec, "position", s_positions [prev? o->prev: o->position]);
    s_add_date (rec, "start_on", prev? o->prev_start: o->start);
    if (prev)
        s_add_date (rec, "end_on", o->prev_end);
    else
    if (org->status != ST_ACTIVE)
        s_add_date (rec, "end_on", org->until);
    s_add (rec, "name", o->p.name);
    if (prev || o->appointed >= 0)
        s_add_date (rec, "appointed_on", prev? o->prev_appointed: o->appointed);
    if (*o->employer)
        s_add (rec, "employer", o->employer);
    s_source_time (self, rng, rec);
}

//  Section 02: the officer in the post held
static void
s_officer_record (s_gen_t *self, s_rng_t *rng, const s_org_t *org, const s_officer_t *o,
                  s_rec_t *rec)
{
    char text [256];
    s_rec_reset (rec);
    s_add (rec, "org_uscc", org->uscc);
    s_add (rec, "id_type", o->p.id_type);
    s_add (rec, "id_number", o->p.id);
    s_add (rec, "position", s_positions [o->position]);
    s_add (rec, "name", o->p.name);
    s_add_date (rec, "birth_date", o->p.birth);
    s_add (rec, "gender", o->p.male? "male": "female");
    s_add (rec, "ethnicity", o->p.ethnicity);
    s_add (rec, "nationality", o->p.nationality);
    if (s_chance (rng, 0.85)) {
        int pick = (int) s_below (rng, 100);
        size_t k = 0;
        while ((pick -= s_political [k].weight) >= 0)
            k++;
        s_add (rec, "political_status", s_political [k].name);
    }
    if (s_chance (rng, 0.4)) {
        s_address (rng, org->site, text, sizeof text);
        s_add (rec, "mail_address", text);
        s_postal (rng, org->prov, org->site, text);
        s_add (rec, "postal_code", text);
    }
    s_mobile (rng, text);
    s_add (rec, "mobile", text);
    if (s_chance (rng, 0.2)) {
        s_landline (rng, org->prov, text, sizeof text);
        s_add (rec, "phone", text);
    }
    s_add_bool (rec, "full_time", s_chance (rng, o->position == P_LR? 0.3: 0.1));
    s_add_date (rec, "start_on", o->start);
    if (o->appointed >= 0)
        s_add_date (rec, "appointed_on", o->appointed);
    s_source_time (self, rng, rec);
}

//  ---------------------------------------------------------------------
//  Errors

//  What a record is, for the rules that may apply to it
typedef struct {
    int section;
    uint64_t index;                 //  the organization
    int record;                     //  its record in this section
    const s_org_t *org;
    bool resident;                  //  02, 03: a resident ID
    bool lr;                        //  02, 03: the legal representative's post
    bool ended;                     //  03: end_on given
    bool fragile;                   //  a refusal would take other records with it
} s_ctx_t;

typedef struct {
    int rule;                       //  -1: none
    const char *field;              //  NULL: the record
    const char *outcome;            //  refused, flagged, not_stored
} s_error_t;

//  True when rule can be drawn for the record: it applies to it, and its
//  finding would bring none on other records (s_organization says how).
static bool
s_applies (const s_ctx_t *ctx, int rule)
{
    switch (rule) {
        case R_ID_CHECK:
            return ctx->resident && !ctx->fragile;
        case R_BIRTH:
        case R_GENDER:
            return ctx->resident;
        case R_ORDER:
            return ctx->ended;
        case R_ENUM:
            //  03: the position, a key: refused
            return ctx->section != 3 || !ctx->fragile;
        case R_FUTURE:
            //  02: start_on, which makes the post when 03 could not
            return ctx->section != 2 || !ctx->fragile;
        case R_MISSING:
            //  03: the name, which a legal representative's post keeps
            return ctx->section != 3 || !ctx->lr;
        default:
            return true;
    }
}

//  A date after the last day (a year typed wrong): from 30 days to 10 years on
static void
s_future_date (const s_gen_t *self, s_rng_t *rng, s_rec_t *rec, const char *key)
{
    s_put_date (rec, key, self->last + 30 + s_below (rng, 3650));
}

//  A code of another division than the authority's: the city's for a
//  county, the province's for a city, a county's for the province.
static void
s_other_authority (s_rng_t *rng, const s_org_t *org, char *out)
{
    char division [7];
    if (org->prov->national)
        snprintf (division, sizeof division, "110000");
    else
    if (org->place && strcmp (org->place->d->code + 4, "00")) {
        snprintf (division, sizeof division, "%.4s00", org->division);
        const division_t *city = division_find (division);
        if (!city || s_placeholder (city->name))
            snprintf (division, sizeof division, "%.2s0000", org->division);
    }
    else
    if (org->place)
        snprintf (division, sizeof division, "%.2s0000", org->division);
    else
        snprintf (division, sizeof division, "%s", s_pick_county (rng, org->prov)->d->code);
    s_gov_code (out, division, B_CIVIL);
}

//  A date of the record written as people write it: 2019/05/20, 2019年5月20日
static void
s_misdate (s_rng_t *rng, s_rec_t *rec, const char *key, int64_t day)
{
    int y, m, d;
    s_civil (day, &y, &m, &d);
    if (s_chance (rng, 0.5))
        s_putf (rec, key, "%04d/%02d/%02d", y, m, d);
    else
        s_putf (rec, key, "%d年%d月%d日", y, m, d);
}

//  Two phone numbers in one field
static void
s_two_phones (s_rng_t *rng, s_rec_t *rec, const char *key)
{
    char text [16];
    s_mobile (rng, text);
    s_putf (rec, key, "%s/%s", s_get (rec, key), text);
}

//  Changed more than 24 hours before arrival: from 25 hours to 90 days
static void
s_stale (const s_gen_t *self, s_rng_t *rng, s_rec_t *rec)
{
    char text [40];
    s_time (text, sizeof text, self->as_of - 25 * 3600 - s_below (rng, 89 * S_DAY));
    s_put (rec, "source_updated_at", text);
}

//  A resident ID's check character mistyped
static void
s_bad_check (s_rng_t *rng, s_rec_t *rec)
{
    char text [24];
    snprintf (text, sizeof text, "%s", s_get (rec, "id_number"));
    char c;
    do
        c = "0123456789X" [s_below (rng, 11)];
    while (c == text [17]);
    text [17] = c;
    s_put (rec, "id_number", text);
}

//  A birth date off by up to 400 days, within the years people here are born
static void
s_bad_birth (s_rng_t *rng, s_rec_t *rec)
{
    int64_t day = s_parse_date (s_get (rec, "birth_date"));
    int64_t shift = 1 + s_below (rng, 400);
    day += day + shift <= s_days (2000, 12, 31)? shift: -shift;
    s_put_date (rec, "birth_date", day);
}

//  The other gender than the resident ID says
static void
s_bad_gender (s_rec_t *rec)
{
    s_put (rec, "gender", strcmp (s_get (rec, "gender"), "male")? "male": "female");
}

static void
    s_inject_more (s_gen_t *self, const s_ctx_t *ctx, s_rng_t *rng, s_rec_t *rec,
                   s_error_t *err);

//  Sections 01 to 03: one rule of the section's that applies, its field, and
//  the error made
static void
s_inject_basic (s_gen_t *self, const s_ctx_t *ctx, s_rng_t *rng, s_rec_t *rec,
                s_error_t *e)
{
    s_error_t err = *e;
    const int *rules = ctx->section == 1? s_rules_01: ctx->section == 2? s_rules_02: s_rules_03;
    size_t nrules = ctx->section == 1? S_COUNT (s_rules_01):
                    ctx->section == 2? S_COUNT (s_rules_02): S_COUNT (s_rules_03);
    int applicable [R_RULES], n = 0;
    for (size_t i = 0; i < nrules; i++)
        if (s_applies (ctx, rules [i]))
            applicable [n++] = rules [i];
    err.rule = applicable [s_below (rng, (uint64_t) n)];
    char text [300];
    const char *value;
    switch (err.rule) {
        case R_MISSING: {
            //  A field the section needs for completeness (full): stored without it
            static const char *const full_01 [] = {
                "registration_authority_code", "registration_authority", "decoupled",
                "party_work_body", "industry", "address_division", "address", "postal_code",
                "contact_name", "contact_phone", "business_scope"
            };
            static const char *const full_02 [] = {
                "gender", "ethnicity", "nationality", "mobile", "full_time", "name"
            };
            err.field = ctx->section == 1? S_PICK (rng, full_01):
                        ctx->section == 3? "name":
                        full_02 [s_below (rng, S_COUNT (full_02) - (ctx->lr? 1: 0))];
            s_drop (rec, err.field);
            break;
        }
        case R_FORMAT:
            //  A value of the wrong shape, as spreadsheets and old systems send
            if (ctx->section == 1) {
                static const char *const fields [] = {
                    "postal_code", "address_division", "decoupled", "address"
                };
                err.field = S_PICK (rng, fields);
                value = s_get (rec, err.field);
                if (strcmp (err.field, "decoupled") == 0)
                    s_put (rec, err.field, strcmp (value, "true")? "否": "是");
                else
                if (strcmp (err.field, "address") == 0)
                    s_putf (rec, err.field, "%s\t", value);
                else
                    s_putf (rec, err.field, "%.5s", value);
            }
            else
            if (ctx->section == 2) {
                err.field = s_chance (rng, 0.5)? "mobile": "full_time";
                value = s_get (rec, err.field);
                if (strcmp (err.field, "mobile") == 0)
                    s_two_phones (rng, rec, err.field);
                else
                    s_put (rec, err.field, strcmp (value, "true")? "否": "是");
            }
            else {
                err.field = "appointed_on";
                value = s_get (rec, "appointed_on");
                s_misdate (rng, rec, err.field, s_parse_date (value? value:
                                                              s_get (rec, "start_on")));
            }
            break;
        case R_USCC_CHECK: {
            //  The last character mistyped: the GB 32100 check fails
            err.field = "registration_authority_code";
            snprintf (text, sizeof text, "%s", s_get (rec, err.field));
            char c;
            do
                c = uscc_alphabet [s_below (rng, 31)];
            while (c == text [17]);
            text [17] = c;
            s_put (rec, err.field, text);
            break;
        }
        case R_ENUM:
            //  The label the province's system shows, not the value
            if (ctx->section == 1) {
                err.field = "status";
                err.outcome = "refused";
                s_put (rec, err.field, s_status_labels [ctx->org->status]);
            }
            else
            if (ctx->section == 2) {
                err.field = "gender";
                s_put (rec, err.field, strcmp (s_get (rec, "gender"), "male")? "女": "男");
            }
            else {
                err.field = "position";
                err.outcome = "refused";
                value = s_get (rec, "position");
                for (size_t i = 0; i < S_COUNT (s_positions); i++)
                    if (strcmp (value, s_positions [i]) == 0)
                        s_put (rec, err.field, s_position_labels [i]);
            }
            break;
        case R_DIVISION: {
            //  Six digits of no division (an abolished county's, say)
            err.field = "address_division";
            snprintf (text, sizeof text, "%s", s_get (rec, err.field));
            for (int k = 99; k > 0 && division_valid (text); k--)
                snprintf (text + 4, 3, "%02d", k);
            s_put (rec, err.field, text);
            break;
        }
        case R_FUTURE:
            if (ctx->section == 1) {
                err.field = "source_updated_at";
                s_time (text, sizeof text, self->as_of + 3600 + s_below (rng, 30 * S_DAY));
                s_put (rec, err.field, text);
            }
            else {
                err.field = ctx->section == 2? "start_on": "appointed_on";
                s_future_date (self, rng, rec, err.field);
            }
            break;
        case R_MISMATCH:
            s_other_authority (rng, ctx->org, text);
            s_put (rec, "registration_authority_code", text);
            break;
        case R_STALE:
            s_stale (self, rng, rec);
            break;
        case R_DUPLICATE:
            err.outcome = "not_stored";             //  (written twice: s_emit)
            break;
        case R_ID_CHECK:
            err.field = "id_number";
            err.outcome = "refused";
            s_bad_check (rng, rec);
            break;
        case R_BIRTH:
            err.field = "birth_date";
            s_bad_birth (rng, rec);
            break;
        case R_GENDER:
            err.field = "gender";
            s_bad_gender (rec);
            break;
        case R_ORDER:
            err.field = "end_on";
            s_put_date (rec, err.field,
                        s_parse_date (s_get (rec, "start_on")) - 1 - s_below (rng, 365));
            break;
    }
    *e = err;
}

//  Gives the record its error, with probability --error-rate: one rule, drawn
//  evenly from those of its section that apply to it. Returns what it did.
static s_error_t
s_inject (s_gen_t *self, const s_ctx_t *ctx, s_rec_t *rec)
{
    s_error_t err = { -1, NULL, "flagged" };
    s_rng_t rng;
    s_rng_init (&rng, self->seed, S_ERRORS + (uint64_t) ctx->section, ctx->index,
                (uint64_t) ctx->record);
    if (!s_chance (&rng, self->rate))
        return err;
    if (ctx->section <= 3)
        s_inject_basic (self, ctx, &rng, rec, &err);
    else
        s_inject_more (self, ctx, &rng, rec, &err);
    return err;
}

//  What a province's own system shows instead of a value (unknown_enum)
static const struct {
    const char *field, *value, *label;
} s_labels [] = {
    { NULL, NULL, NULL }
};

static const char *
s_label (const char *field, const char *value)
{
    for (size_t i = 0; s_labels [i].field; i++)
        if (!strcmp (s_labels [i].field, field) && !strcmp (s_labels [i].value, value))
            return s_labels [i].label;
    assert (false);
    return "";
}

//  The value of key in a shape of the wrong kind, as spreadsheets and old
//  systems send it
static void
s_misformat (s_rng_t *rng, s_rec_t *rec, const char *key)
{
    int i = 0;
    while (strcmp (rec->key [i], key))
        i++;
    const char *value = rec->value [i];
    if (rec->raw [i] && (!strcmp (value, "true") || !strcmp (value, "false")))
        s_put (rec, key, strcmp (value, "true")? "否": "是");
    else
    if (rec->raw [i])
        s_put (rec, key, value);                //  an integer as a string
    else
    if (strlen (value) == 10 && value [4] == '-')
        s_misdate (rng, rec, key, s_parse_date (value));
    else
    if (strstr (key, "phone") || strstr (key, "mobile"))
        s_two_phones (rng, rec, key);
    else
    if (strcmp (key, "registered_capital") == 0)
        s_putf (rec, key, "%s元", value);
    else {
        //  Longer than the field's 200 characters, said over and over (not a
        //  control character, which a service would not keep as the value)
        char text [1024] = "";
        size_t used = 0, chars = 0, step = 0;
        for (const char *c = value; *c; c++)
            step += (*c & 0xC0) != 0x80;
        while (chars <= 200 && used + strlen (value) + 4 < sizeof text) {
            used += (size_t) snprintf (text + used, sizeof text - used, "%s%s", used? "；": "",
                                       value);
            chars += step + (chars > 0);
        }
        s_put (rec, key, text);
    }
}

//  True when spec can be drawn for the record: its field is there (or, for
//  a field that contradicts another, is not and the other says so), and it
//  would bring no finding on another record.
static bool
s_spec_applies (const s_ctx_t *ctx, const s_rec_t *rec, const s_spec_t *spec)
{
    if (spec->section != ctx->section || (spec->refused && ctx->fragile))
        return false;
    if (!spec->field)
        return true;
    const char *id_type = s_get (rec, "id_type");
    bool resident = id_type && strcmp (id_type, "resident_id") == 0;
    if (spec->rule == R_ID_CHECK || spec->rule == R_BIRTH
    ||  (spec->rule == R_GENDER && strcmp (spec->field, "gender") == 0))
        return resident && s_get (rec, spec->field);
    if (spec->rule == R_GENDER) {
        //  other: "field=value", which the field contradicts
        const char *eq = strchr (spec->other, '=');
        char name [64];
        snprintf (name, sizeof name, "%.*s", (int) (eq - spec->other), spec->other);
        const char *value = s_get (rec, name);
        return !s_get (rec, spec->field) && value && strcmp (value, eq + 1) == 0;
    }
    if (spec->rule == R_ORDER)
        return s_get (rec, spec->field) && s_get (rec, spec->other);
    return s_get (rec, spec->field) != NULL;
}

//  The sections after 03: a rule drawn evenly from those of s_specs that
//  apply, then one of its fields; the error made.
static void
s_inject_more (s_gen_t *self, const s_ctx_t *ctx, s_rng_t *rng, s_rec_t *rec,
               s_error_t *err)
{
    int rules [R_RULES], n = 0;
    for (size_t i = 0; i < S_COUNT (s_specs); i++) {
        const s_spec_t *spec = &s_specs [i];
        int k = 0;
        while (k < n && rules [k] != spec->rule)
            k++;
        if (k == n && s_spec_applies (ctx, rec, spec))
            rules [n++] = spec->rule;
    }
    err->rule = rules [s_below (rng, (uint64_t) n)];
    const s_spec_t *fits [S_COUNT (s_specs)];
    size_t m = 0;
    for (size_t i = 0; i < S_COUNT (s_specs); i++)
        if (s_specs [i].rule == err->rule && s_spec_applies (ctx, rec, &s_specs [i]))
            fits [m++] = &s_specs [i];
    const s_spec_t *spec = fits [s_below (rng, m)];
    const char *key = spec->field;
    err->field = key;
    err->outcome = spec->rule == R_DUPLICATE? "not_stored":
                   spec->refused || spec->rule == R_ID_CHECK? "refused": "flagged";
    switch (spec->rule) {
        case R_MISSING:
            s_drop (rec, key);
            break;
        case R_FORMAT:
            s_misformat (rng, rec, key);
            break;
        case R_ENUM:
            s_put (rec, key, s_label (key, s_get (rec, key)));
            break;
        case R_FUTURE:
            s_future_date (self, rng, rec, key);
            break;
        case R_ORDER:
            s_put_date (rec, key, s_parse_date (s_get (rec, spec->other)) - 1
                                  - s_below (rng, 365));
            break;
        case R_STALE:
            s_stale (self, rng, rec);
            break;
        case R_ID_CHECK:
            s_bad_check (rng, rec);
            break;
        case R_BIRTH:
            s_bad_birth (rng, rec);
            break;
        default:
            break;
    }
}

//  Writes the record (twice for a duplicate) and its finding.
static void
s_emit (s_gen_t *self, int section, const s_rec_t *rec, const s_error_t *err, const char *uscc)
{
    size_t s = s_slot (section);
    s_rec_line (rec, &self->line);
    long long line = ++self->lines [s];
    for (int copy = err->rule == R_DUPLICATE? 2: 1; copy > 0; copy--) {
        //  A duplicate: the same record again, with the same source_updated_at,
        //  so the one read last is used (3.4) and the finding is on the first
        fwrite (self->line.data, 1, self->line.len, self->out [s]);
        self->bytes [s] += (long long) self->line.len;
    }
    self->lines [s] += err->rule == R_DUPLICATE;
    if (err->rule < 0)
        return;
    char finding [512], field [64] = "null";
    if (err->field)
        snprintf (field, sizeof field, "\"%s\"", err->field);
    int n = snprintf (finding, sizeof finding, "{\"section\":%d,\"path\":\"%s\",\"line\":%lld,"
                      "\"rule\":\"%s\",\"field\":%s,\"uscc\":\"%s\",\"outcome\":\"%s\"}\n",
                      section, s_files [s].name, line, s_rule_names [err->rule], field, uscc,
                      err->outcome);
    fputs (finding, section == 1? self->out [S_FINDINGS]: self->found [s]);
    self->bytes [S_FINDINGS] += n;
    self->lines [S_FINDINGS]++;
    self->injected [err->rule]++;
}

//  Its posts (03) and officers (02), each with its error if it draws one,
//  from the organization's stream. A post refused in 03 is made by the
//  officer's 02 record (from its start_on), so that record must not be
//  refused nor lose its start_on; in an organization that ended, 02 would
//  make a post held, so 03 must not be refused at all.
static void
s_people (s_gen_t *self, s_rng_t *rng, const s_org_t *org)
{
    s_rec_t *rec = &self->rec;
    s_error_t err;
    bool post_refused [S_OFFICERS_MAX];
    s_ctx_t ctx = { .section = 3, .index = org->index, .org = org };
    for (int i = 0; i < org->officers; i++) {
        const s_officer_t *o = &self->officers [i];
        ctx.resident = strcmp (o->p.id_type, "resident_id") == 0;
        ctx.fragile = org->status != ST_ACTIVE;
        for (int prev = o->prev >= 0; prev >= 0; prev--) {
            s_post_record (self, rng, org, o, prev, rec);
            ctx.lr = (prev? o->prev: o->position) == P_LR;
            ctx.ended = s_get (rec, "end_on") != NULL;
            err = s_inject (self, &ctx, rec);
            ctx.record++;
            s_emit (self, 3, rec, &err, org->uscc);
            if (!prev)
                post_refused [i] = err.rule >= 0 && strcmp (err.outcome, "refused") == 0;
        }
    }
    ctx = (s_ctx_t) { .section = 2, .index = org->index, .org = org };
    for (int i = 0; i < org->officers; i++) {
        const s_officer_t *o = &self->officers [i];
        s_officer_record (self, rng, org, o, rec);
        ctx.resident = strcmp (o->p.id_type, "resident_id") == 0;
        ctx.lr = o->position == P_LR;
        ctx.fragile = post_refused [i];
        err = s_inject (self, &ctx, rec);
        ctx.record++;
        s_emit (self, 2, rec, &err, org->uscc);
    }
}

//  The record in rec, with its error if it draws one, written when write
//  (else only drawn: what a record draws must not depend on another's error)
static void
s_put_out (s_gen_t *self, s_ctx_t *ctx, s_rec_t *rec, bool write)
{
    if (write) {
        s_error_t err = s_inject (self, ctx, rec);
        s_emit (self, ctx->section, rec, &err, ctx->org->uscc);
    }
    ctx->record++;
}

//  ---------------------------------------------------------------------
//  Sections 04 to 10, each from a stream of its own (S_MORE), with copies
//  of section 01 fields taken from its record before its error: name, legal
//  representative and business unit, which no error of 01 changes

//  The first day of the organization's last 5-year term begun by day
static int64_t
s_term_start (const s_org_t *org, int64_t day)
{
    int terms = 0;
    while (s_add_years (org->approved, 5 * (terms + 1)) <= day)
        terms++;
    return s_add_years (org->approved, 5 * terms);
}

//  Section 04: the certificate of the current term, with the registered
//  capital the regulations ask at least (社会团体 30,000 yuan locally, 100,000
//  nationally; a foundation 2 million locally, 8 million nationally) or more
static void
s_certificate (s_gen_t *self, s_org_t *org, s_rec_t *rec)
{
    s_rng_t rng;
    s_rng_init (&rng, self->seed, S_MORE + 4, org->index, 0);
    const s_rec_t *basic = &self->basic;
    long least = org->type == S_FD? (org->prov->national? 8000000: 2000000):
                 org->prov->national? 100000: 30000;
    double u = s_unit (&rng);
    long capital = least + (long) (u * u * u * 20) * least / 2;
    snprintf (org->capital, sizeof org->capital, s_chance (&rng, 0.8)? "%ld.00": "%ld",
              capital);
    snprintf (org->area, sizeof org->area, "%s", org->prov->national? "全国":
              org->place? org->place->prefix: org->prov->d->name);
    int64_t from = s_term_start (org, org->until);
    int64_t issued = from - s_below (&rng, 15);
    s_rec_reset (rec);
    s_add (rec, "uscc", org->uscc);
    if (s_chance (&rng, 0.7)) {
        s_add (rec, "name", org->name);
        s_add (rec, "legal_representative", s_get (basic, "legal_representative"));
        if (s_get (basic, "business_unit"))
            s_add (rec, "business_unit", s_get (basic, "business_unit"));
    }
    s_add (rec, "registered_capital", org->capital);
    s_add_date (rec, "valid_from", from);
    s_add_date (rec, "valid_to", s_add_years (from, 5) - 1);
    s_add (rec, "activity_area", org->area);
    s_add_date (rec, "issued_on", issued < org->approved? org->approved: issued);
    s_source_time (self, &rng, rec);
}

static const char *const s_dereg_reasons [] = {
    "经会员大会决议自行解散", "宗旨已实现，经理事会决议申请注销",
    "因合并申请注销",
    "因分立申请注销", "举办者决定终止，经理事会决议申请注销",
    "无法按照章程规定的宗旨继续开展活动，经理事会决议申请注销"
};

//  Section 07: the deregistration of an organization that is deregistered,
//  on the last day of its posts
static void
s_deregistration (s_gen_t *self, const s_org_t *org, s_rec_t *rec)
{
    s_rng_t rng;
    s_rng_init (&rng, self->seed, S_MORE + 7, org->index, 0);
    char text [64];
    s_rec_reset (rec);
    s_add (rec, "uscc", org->uscc);
    if (s_chance (&rng, 0.6))
        s_add (rec, "name", org->name);
    s_add (rec, "reason", S_PICK (&rng, s_dereg_reasons));
    s_add_date (rec, "deregistered_on", org->until);
    //  Often the legal representative leads the liquidation
    if (s_chance (&rng, 0.5))
        snprintf (text, sizeof text, "%s", self->officers [0].p.name);
    else
        s_chinese_name (&rng, s_chance (&rng, 0.6), text, sizeof text);
    s_add (rec, "liquidation_leader", text);
    if (s_chance (&rng, 0.7)) {
        s_mobile (&rng, text);
        s_add (rec, "liquidation_phone", text);
    }
    s_source_time (self, &rng, rec);
}

//  Items of section 09 that gen changes, and their labels
static const struct {
    const char *item, *label;
} s_items [] = {
    { "name", "名称" }, { "address", "住所" }, { "legal_representative", "法定代表人" },
    { "business_scope", "业务范围" }, { "contact_name", "联系人" },
    { "contact_phone", "联系电话" }, { "registered_capital", "注册资金" },
    { "postal_code", "邮政编码" }, { "charter", "章程" }
};

//  Section 09: none to three changes, of distinct items, approved from a
//  month after approval to the organization's end, in order; each after is
//  the value section 01 (or 04) holds now
static void
s_changes (s_gen_t *self, const s_org_t *org, s_rec_t *rec, bool write)
{
    s_rng_t rng;
    s_rng_init (&rng, self->seed, S_MORE + 9, org->index, 0);
    s_ctx_t ctx = { .section = 9, .index = org->index, .org = org };
    const s_rec_t *basic = &self->basic;
    int n = (int) s_below (&rng, 4);
    int64_t span = org->until - org->approved - 30;
    if (span < 1)
        n = 0;
    int64_t days [3];
    unsigned taken = 0;
    int items [3];
    for (int i = 0; i < n; i++) {
        unsigned k;
        do
            k = s_below (&rng, S_COUNT (s_items));
        while (taken & (1u << k));
        taken |= 1u << k;
        items [i] = (int) k;
        days [i] = org->approved + 30 + s_below (&rng, (uint64_t) span + 1);
        for (int j = i; j > 0 && days [j] < days [j - 1]; j--) {
            int64_t day = days [j];
            days [j] = days [j - 1];
            days [j - 1] = day;
        }
    }
    for (int i = 0; i < n; i++) {
        const char *item = s_items [items [i]].item;
        char before [1024] = "", after [1024];
        snprintf (after, sizeof after, "%s", s_get (basic, item)? s_get (basic, item): "");
        if (!strcmp (item, "name"))
            snprintf (before, sizeof before, "%s%s%s", org->prefix, S_PICK (&rng, s_qualifiers),
                      org->name + strlen (org->prefix));
        else
        if (!strcmp (item, "address"))
            s_address (&rng, org->site, before, sizeof before);
        else
        if (!strcmp (item, "legal_representative") || !strcmp (item, "contact_name"))
            s_chinese_name (&rng, s_chance (&rng, 0.6), before, sizeof before);
        else
        if (!strcmp (item, "business_scope"))
            snprintf (before, sizeof before, "%s",
                      s_fields [org->field].scope [s_below (&rng, 4)]);
        else
        if (!strcmp (item, "contact_phone"))
            s_mobile (&rng, before);
        else
        if (!strcmp (item, "registered_capital")) {
            snprintf (before, sizeof before, "%ld.00", atol (org->capital) / 3000 * 2000);
            snprintf (after, sizeof after, "%s", org->capital);
        }
        else
        if (!strcmp (item, "postal_code"))
            do
                s_postal (&rng, org->prov, org->site, before);
            while (!strcmp (before, after));
        else {
            char number [48], times [48];
            s_cn_number (number, sizeof number, 1 + (days [i] - org->approved) / 1826);
            s_cn_number (times, sizeof times, 1 + s_below (&rng, 3));
            snprintf (after, sizeof after, "经第%s届%s第%s次会议审议通过章程修正案",
                      number, org->type == S_SG? "会员大会": "理事会", times);
        }
        s_rec_reset (rec);
        s_add (rec, "uscc", org->uscc);
        s_add (rec, "item", s_chance (&rng, 0.8)? item: s_items [items [i]].label);
        s_add_date (rec, "approved_on", days [i]);
        if (s_chance (&rng, 0.6))
            s_add (rec, "content", s_items [items [i]].label);
        if (*before)
            s_add (rec, "before", before);
        s_add (rec, "after", after);
        if (s_chance (&rng, 0.3))
            s_add (rec, "name", org->name);
        s_source_time (self, &rng, rec);
        s_put_out (self, &ctx, rec, write);
    }
}

//  The sections after 03, each from its own stream: drawn for every
//  organization, written when its section 01 record is not refused.
static void
s_more (s_gen_t *self, s_org_t *org, bool write)
{
    s_rec_t *rec = &self->rec;
    s_ctx_t ctx = { .section = 4, .index = org->index, .org = org };
    s_certificate (self, org, rec);
    s_put_out (self, &ctx, rec, write);
    s_changes (self, org, rec, write);
    if (org->status == ST_DEREGISTERED) {
        ctx = (s_ctx_t) { .section = 7, .index = org->index, .org = org };
        s_deregistration (self, org, rec);
        s_put_out (self, &ctx, rec, write);
    }
}

//  One organization: its section 01 record, then the others, each with its
//  error if it draws one. expected-findings.jsonl must list every finding,
//  so no error may bring findings on other records: an organization refused
//  by its error (a status that is not a value) has no records in the other
//  sections (they would be refused unknown_org_reference, 3.3), and the
//  legal representative keeps the name legal_rep_mismatch compares.
static void
s_organization (s_gen_t *self, uint64_t index)
{
    s_rng_t rng;
    s_rng_init (&rng, self->seed, S_DATA, index, 0);
    s_org_t org = { .index = index };
    s_org_make (self, &rng, &org);
    s_rec_t *rec = &self->rec;
    s_org_record (self, &rng, &org, rec);
    s_rec_copy (&self->basic, rec);
    s_ctx_t ctx = { .section = 1, .index = index, .org = &org };
    s_error_t err = s_inject (self, &ctx, rec);
    s_emit (self, 1, rec, &err, org.uscc);
    bool refused = err.rule >= 0 && strcmp (err.outcome, "refused") == 0;
    if (!refused)
        s_people (self, &rng, &org);
    s_more (self, &org, !refused);
}

//  ---------------------------------------------------------------------
//  Files

//  The shortest decimal that reads back as x (0.1, not 0.10000000000000001)
static void
s_shortest (char *out, size_t size, double x)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf (out, size, "%.*g", precision, x);
        if (strtod (out, NULL) == x)
            return;
    }
}

//  The manifest into buf: indented for the file, or one line (pretty false)
static void
s_manifest (const s_gen_t *self, s_buf_t *buf, bool pretty)
{
    const char *nl = pretty? "\n": "", *in = pretty? "  ": "", *in2 = pretty? "    ": "";
    const char *sp = pretty? " ": "";
    char rate [32], line [512];
    s_shortest (rate, sizeof rate, self->rate);
    buf->len = 0;
    int n = snprintf (line, sizeof line, "{%s%s\"seed\":%s%llu,%s%s\"orgs\":%s%ld,%s"
                      "%s\"province\":%s\"%s\",%s%s\"error_rate\":%s%s,%s"
                      "%s\"as_of\":%s\"%s\",%s%s\"files\":%s{%s",
                      nl, in, sp, (unsigned long long) self->seed, nl, in, sp, self->orgs, nl,
                      in, sp, self->province, nl, in, sp, rate, nl,
                      in, sp, self->as_of_text, nl, in, sp, nl);
    s_buf_add (buf, line, (size_t) n);
    for (size_t i = 0; i < S_NFILES; i++) {
        n = snprintf (line, sizeof line, "%s\"%s\":%s{\"records\":%s%lld,%s\"bytes\":%s%lld}%s%s",
                      in2, s_files [i].name, sp, sp, self->lines [i], sp, sp, self->bytes [i],
                      i < S_FINDINGS? ",": "", nl);
        s_buf_add (buf, line, (size_t) n);
    }
    n = snprintf (line, sizeof line, "%s},%s%s\"injected\":%s{", in, nl, in, sp);
    s_buf_add (buf, line, (size_t) n);
    const char *sep = "";
    for (int r = 0; r < R_RULES; r++)
        if (self->injected [r]) {
            n = snprintf (line, sizeof line, "%s%s%s\"%s\":%s%lld", sep, nl, in2,
                          s_rule_names [r], sp, self->injected [r]);
            s_buf_add (buf, line, (size_t) n);
            sep = ",";
        }
    n = snprintf (line, sizeof line, "%s%s}%s}\n", *sep? nl: "", *sep? in: "", nl);
    s_buf_add (buf, line, (size_t) n);
}

//  Writes manifest.json, and prints it as one line. Returns 0, or -1 with
//  errno set.
static int
s_write_manifest (s_gen_t *self)
{
    char path [4200];
    snprintf (path, sizeof path, "%s/manifest.json", self->dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    s_manifest (self, &self->line, true);
    bool written = fwrite (self->line.data, 1, self->line.len, f) == self->line.len;
    if (fclose (f) || !written)
        return -1;
    s_manifest (self, &self->line, false);
    fwrite (self->line.data, 1, self->line.len, stdout);
    return 0;
}

//  Appends the findings of the sections after 01 to expected-findings.jsonl
//  and closes every file. Returns 0, or -1 with errno set.
static int
s_close_files (s_gen_t *self)
{
    int rc = 0;
    char buf [65536];
    for (size_t k = 1; k < S_FINDINGS; k++) {
        FILE *from = self->found [k];
        rewind (from);
        size_t n;
        while ((n = fread (buf, 1, sizeof buf, from)) > 0)
            if (fwrite (buf, 1, n, self->out [S_FINDINGS]) != n)
                rc = -1;
        if (ferror (from))
            rc = -1;
        fclose (from);
        self->found [k] = NULL;
    }
    for (size_t i = 0; i < S_NFILES; i++) {
        if (ferror (self->out [i]))
            rc = -1;
        if (fclose (self->out [i]))
            rc = -1;
        self->out [i] = NULL;
    }
    return rc;
}

//  Makes dir and its parents. Returns 0, or -1 with errno set.
static int
s_mkdirs (const char *dir)
{
    char path [4096];
    snprintf (path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (path, 0755) && errno != EEXIST? -1: 0;
}

//  Returns 0 when dir is absent or an empty directory, 1 when it holds
//  something, -1 when it is not a directory.
static int
s_dir_state (const char *dir)
{
    struct stat st;
    if (stat (dir, &st))
        return 0;
    if (!S_ISDIR (st.st_mode))
        return -1;
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    struct dirent *entry;
    int state = 0;
    while (state == 0 && (entry = readdir (d)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            state = 1;
    closedir (d);
    return state;
}

//  ---------------------------------------------------------------------
//  The verb

//  Reads an integer of digits only into *value; returns false if it is not one.
static bool
s_parse_u64 (const char *text, uint64_t *value)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    *value = strtoull (text, &end, 10);
    return *end == 0 && errno == 0;
}

//  YYYY-MM-DDTHH:MM:SSZ, years 2000 to 2100, into seconds
static bool
s_parse_as_of (const char *text, int64_t *t)
{
    int y, mo, d, h, mi, s, n = 0;
    if (strlen (text) != 20 || text [10] != 'T' || text [19] != 'Z'
    ||  sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) != 6
    ||  n != 20 || y < 2000 || y > 2100 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59
    ||  s > 59 || h < 0 || mi < 0 || s < 0)
        return false;
    int ey, em, ed;
    s_civil (s_days (y, mo, d), &ey, &em, &ed);
    if (ey != y || em != mo || ed != d)
        return false;                   //  30 February and the like
    *t = s_days (y, mo, d) * S_DAY + h * 3600 + mi * 60 + s;
    return true;
}

static void
s_gen_free (s_gen_t *self)
{
    for (size_t i = 0; i < self->nprovs; i++)
        s_prov_free (&self->provs [i]);
    free (self->provs);
    s_prov_free (&self->national);
    s_set_free (&self->ids);
    s_set_free (&self->names);
    s_set_free (&self->ordinals);
    free (self->line.data);
    for (size_t i = 0; i < S_NFILES; i++) {
        if (self->out [i])
            fclose (self->out [i]);
        if (self->found [i])
            fclose (self->found [i]);
    }
}

//  Builds the provinces the set draws from. Returns 0, or -1 for a province
//  code that is not one.
static int
s_gen_places (s_gen_t *self)
{
    bool all = strcmp (self->province, "all") == 0;
    bool national = strcmp (self->province, "10") == 0;
    if (!all && !national
    &&  (strlen (self->province) != 2 || self->province [0] < '1' || self->province [0] > '9'
         || self->province [1] < '0' || self->province [1] > '9'))
        return -1;
    self->provs = calloc (S_NPROVINCES, sizeof *self->provs);
    if (!self->provs)
        abort ();
    for (size_t i = 0; i < S_NPROVINCES; i++) {
        const char *code = s_provinces [i].code;
        if (!all && !national && strcmp (code, self->province))
            continue;
        if (s_prov_build (&self->provs [self->nprovs], code))
            return -1;
        self->weight_total += s_provinces [i].population;
        self->nprovs++;
    }
    if (national) {
        //  The ministry's own: registered at 100000, sited in Beijing
        if (s_prov_build (&self->national, "11"))
            return -1;
        self->national.d = division_find ("100000");
        self->national.national = true;
        self->national.ncities = 0;
    }
    return self->nprovs? 0: -1;
}

int
ctl_gen (ctl_t *ctl, int argc, char **argv)
{
    (void) ctl;
    char *orgs = NULL, *seed = NULL, *out = NULL, *province = NULL, *rate = NULL;
    char *as_of = NULL;
    opt_t opts [] = {
        { "--orgs", &orgs, NULL }, { "--seed", &seed, NULL }, { "--out", &out, NULL },
        { "--province", &province, NULL }, { "--error-rate", &rate, NULL },
        { "--as-of", &as_of, NULL }
    };
    int rc = ctl_options ("gen", argc, argv, 0, opts, S_COUNT (opts));
    if (rc)
        return rc;
    if (!orgs || !seed || !out)
        return ctl_usage_error ("gen", "%s", "--orgs, --seed and --out are required");
    s_gen_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    uint64_t n;
    char *end;
    if (!s_parse_u64 (orgs, &n) || n < 1 || n > S_ORGS_MAX) {
        rc = ctl_usage_error ("gen", "--orgs %s: expected 1 to 1000000", orgs);
        goto done;
    }
    self->orgs = (long) n;
    if (!s_parse_u64 (seed, &self->seed)) {
        rc = ctl_usage_error ("gen", "--seed %s: expected a number, 0 to 2^64 - 1", seed);
        goto done;
    }
    //  Digits and a point only: no sign, exponent, hexadecimal, nan or inf
    self->rate = rate? strtod (rate, &end): 0;
    if (rate && (!*rate || *end || strspn (rate, "0123456789.") != strlen (rate)
                 || self->rate > S_RATE_MAX)) {
        rc = ctl_usage_error ("gen", "--error-rate %s: expected 0 to 0.5", rate);
        goto done;
    }
    self->as_of_text = as_of? as_of: S_AS_OF;
    if (!s_parse_as_of (self->as_of_text, &self->as_of)) {
        rc = ctl_usage_error ("gen", "--as-of %s: expected YYYY-MM-DDTHH:MM:SSZ, 2000 to 2100",
                              self->as_of_text);
        goto done;
    }
    self->province = province? province: "44";
    if (s_gen_places (self)) {
        rc = ctl_usage_error ("gen", "--province %s: expected all or a province's two digits"
                              " (10: the ministry)", self->province);
        goto done;
    }
    int state = strlen (out) < 4000? s_dir_state (out): -1;
    if (state) {
        rc = ctl_usage_error ("gen", state > 0? "%s is not empty: give a new or empty directory":
                                               "%s is not a directory (or too long a path)", out);
        goto done;
    }
    if (s_mkdirs (out)) {
        fprintf (stderr, "npoctl gen: could not create %s: %s\n", out, strerror (errno));
        rc = EXIT_REFUSED;
        goto done;
    }
    self->dir = out;
    //  Dates up to the day before --as-of's Beijing date: nothing is in the future
    int64_t local = self->as_of + 8 * 3600;
    self->last = local / S_DAY - 1;
    self->code_offset = s_mix (self->seed ^ s_hash (self->province)) % S_CODE_SPACE;

    for (size_t i = 0; i < S_NFILES; i++) {
        char path [4200];
        snprintf (path, sizeof path, "%s/%s", out, s_files [i].name);
        self->out [i] = fopen (path, "w");
        if (!self->out [i] || setvbuf (self->out [i], NULL, _IOFBF, 1 << 20)) {
            fprintf (stderr, "npoctl gen: could not write %s: %s\n", path, strerror (errno));
            rc = EXIT_REFUSED;
            goto done;
        }
    }
    for (size_t i = 1; i < S_FINDINGS; i++)
        if (!(self->found [i] = tmpfile ())) {
            fprintf (stderr, "npoctl gen: could not make a temporary file: %s\n",
                     strerror (errno));
            rc = EXIT_REFUSED;
            goto done;
        }
    for (uint64_t i = 0; i < n; i++)
        s_organization (self, i);
    if (s_close_files (self)) {
        fprintf (stderr, "npoctl gen: could not write the files in %s: %s\n", out,
                 strerror (errno));
        rc = EXIT_REFUSED;
        goto done;
    }
    if (s_write_manifest (self)) {
        fprintf (stderr, "npoctl gen: could not write %s/manifest.json: %s\n", out,
                 strerror (errno));
        rc = EXIT_REFUSED;
    }
done:
    s_gen_free (self);
    free (self);
    return rc;
}
