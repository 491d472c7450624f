-- The public side of the inspection stream: annual inspection results
-- (section 16, with the aggregates of section 17 an annual report publishes)
-- and evaluation grades (section 10). Rows need no organization: the
-- inspection stream may be applied before the registry's.
CREATE TABLE inspections (
    uscc                    text NOT NULL,
    year                    int NOT NULL,
    kind                    text,
    result                  text NOT NULL,
    rectification           text,
    rectification_deadline  text,
    reviewed_on             text,
    deadline                text,           -- not_filed: the deadline missed
    finance                 json,           -- total_assets, total_liabilities, net_assets,
                                            -- income, expenses (decimal text)
    source_event            text NOT NULL,
    PRIMARY KEY (uscc, year)
);

CREATE TABLE evaluations (
    evaluation_id           bigint PRIMARY KEY,
    uscc                    text NOT NULL,
    grade                   text NOT NULL,
    evaluator               text NOT NULL,
    valid_from              text NOT NULL,
    valid_to                text NOT NULL,
    state                   text NOT NULL,
    source_event            text NOT NULL
);
CREATE INDEX evaluations_uscc ON evaluations (uscc);

-- Each organization's public history lists as served (Redis <kind>:<uscc>),
-- with the public event seq of their last change (see orgs.pub_seq).
CREATE TABLE histories (
    uscc                    text NOT NULL,
    kind                    text NOT NULL,
    doc                     text NOT NULL,
    pub_seq                 bigint NOT NULL,
    PRIMARY KEY (uscc, kind)
);
CREATE INDEX histories_pub_seq ON histories (pub_seq);
