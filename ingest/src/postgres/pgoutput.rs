//! Decoding of PostgreSQL's `pgoutput` logical replication messages
//! (protocol version 1, text-format tuple data).
//!
//! The replication crate hands over Begin, Commit and Message already parsed
//! and every other message as bytes; [`parse`] reads them all, so the
//! decoder is complete and testable on its own:
//!
//! | tag | message  | what crossdock does with it |
//! |-----|----------|-----------------------------|
//! | `B` | Begin    | opens a transaction (xid, commit time) |
//! | `C` | Commit   | closes it; its end LSN is the [`crossdock_change::Position`] |
//! | `R` | Relation | (re)maps a relation id to a table and its columns, by name |
//! | `Y` | Type     | noted (only sent for non-built-in types; values stay text) |
//! | `O` | Origin   | ignored |
//! | `I` | Insert   | new tuple |
//! | `U` | Update   | optional old key / old tuple (`K` / `O`), new tuple |
//! | `D` | Delete   | old key / old tuple |
//! | `T` | Truncate | relation ids |
//! | `M` | Message  | heartbeats (ignored as data) |
//!
//! Tuple columns are `n` (NULL), `u` (unchanged TOASTed value: not sent,
//! see [`Column::Unchanged`]), `t` (text) or `b` (binary, not requested).

use bytes::Bytes;

/// One column of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// SQL NULL.
    Null,
    /// A TOASTed value the update did not change: PostgreSQL does not send
    /// it; the previous value stands.
    Unchanged,
    /// The value in text format.
    Text(Bytes),
    /// The value in binary format (only if binary mode was requested).
    Binary(Bytes),
}

/// A column of a relation, as the Relation message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationColumn {
    /// Part of the replica identity (the key sent for updates and deletes).
    pub key: bool,
    /// Column name.
    pub name: String,
    /// Type OID.
    pub type_oid: u32,
    /// Type modifier (e.g. numeric precision and scale), -1 when none.
    pub type_modifier: i32,
}

/// A Relation message: what a relation id stands for from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Relation OID.
    pub id: u32,
    /// Schema.
    pub namespace: String,
    /// Table name.
    pub name: String,
    /// Replica identity: `d` default (primary key), `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    /// Columns in the table's order (dropped columns are absent).
    pub columns: Vec<RelationColumn>,
}

/// A decoded pgoutput message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Start of a transaction.
    Begin {
        /// LSN of the commit record.
        final_lsn: u64,
        /// Commit time, µs since 2000-01-01.
        commit_time: i64,
        /// Transaction id.
        xid: u32,
    },
    /// End of a transaction.
    Commit {
        /// Flags (unused).
        flags: u8,
        /// LSN of the commit record.
        commit_lsn: u64,
        /// End LSN of the commit record.
        end_lsn: u64,
        /// Commit time, µs since 2000-01-01.
        commit_time: i64,
    },
    /// Replication origin (ignored).
    Origin {
        /// LSN of the commit on the origin server.
        lsn: u64,
        /// Origin name.
        name: String,
    },
    /// Relation description.
    Relation(Relation),
    /// Type description.
    Type {
        /// Type OID.
        id: u32,
        /// Schema.
        namespace: String,
        /// Type name.
        name: String,
    },
    /// A new row.
    Insert {
        /// Relation id.
        relation: u32,
        /// The row.
        new: Vec<Column>,
    },
    /// A changed row.
    Update {
        /// Relation id.
        relation: u32,
        /// The old key (`K`, when the key changed) or the whole old row
        /// (`O`, REPLICA IDENTITY FULL), if sent.
        old: Option<(u8, Vec<Column>)>,
        /// The new row.
        new: Vec<Column>,
    },
    /// A removed row.
    Delete {
        /// Relation id.
        relation: u32,
        /// `K` (key only) or `O` (the whole row, REPLICA IDENTITY FULL).
        kind: u8,
        /// The old key or row.
        old: Vec<Column>,
    },
    /// Tables emptied.
    Truncate {
        /// Options: 1 = CASCADE, 2 = RESTART IDENTITY.
        options: u8,
        /// Relation ids.
        relations: Vec<u32>,
    },
    /// A logical decoding message (`pg_logical_emit_message`).
    LogicalMessage {
        /// Emitted inside a transaction.
        transactional: bool,
        /// Its LSN.
        lsn: u64,
        /// Prefix.
        prefix: String,
        /// Content.
        content: Bytes,
    },
}

/// Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
pub const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    fn need(&self, n: usize, what: &str) -> Result<(), String> {
        if self.buf.len() - self.pos < n {
            Err(format!("truncated pgoutput message: {what}"))
        } else {
            Ok(())
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        self.need(1, what)?;
        self.pos += 1;
        Ok(self.buf[self.pos - 1])
    }
    fn i16(&mut self, what: &str) -> Result<i16, String> {
        self.need(2, what)?;
        let v = i16::from_be_bytes([self.buf[self.pos], self.buf[self.pos + 1]]);
        self.pos += 2;
        Ok(v)
    }
    fn i32(&mut self, what: &str) -> Result<i32, String> {
        self.need(4, what)?;
        let v = i32::from_be_bytes(self.buf[self.pos..self.pos + 4].try_into().expect("4"));
        self.pos += 4;
        Ok(v)
    }
    fn i64(&mut self, what: &str) -> Result<i64, String> {
        self.need(8, what)?;
        let v = i64::from_be_bytes(self.buf[self.pos..self.pos + 8].try_into().expect("8"));
        self.pos += 8;
        Ok(v)
    }
    fn string(&mut self, what: &str) -> Result<String, String> {
        let end = self.buf[self.pos..]
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| format!("unterminated string in pgoutput message: {what}"))?;
        let s = String::from_utf8_lossy(&self.buf[self.pos..self.pos + end]).into_owned();
        self.pos += end + 1;
        Ok(s)
    }
    fn bytes(&mut self, n: usize, what: &str) -> Result<Bytes, String> {
        self.need(n, what)?;
        let b = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(b)
    }
    fn tuple(&mut self) -> Result<Vec<Column>, String> {
        let n = self.i16("tuple column count")?;
        if n < 0 {
            return Err("negative column count".into());
        }
        let mut cols = Vec::with_capacity(n as usize);
        for _ in 0..n {
            cols.push(match self.u8("column kind")? {
                b'n' => Column::Null,
                b'u' => Column::Unchanged,
                b't' => {
                    let len = self.i32("text length")?;
                    Column::Text(self.bytes(len.max(0) as usize, "text value")?)
                }
                b'b' => {
                    let len = self.i32("binary length")?;
                    Column::Binary(self.bytes(len.max(0) as usize, "binary value")?)
                }
                other => return Err(format!("unknown tuple column kind {:?}", other as char)),
            });
        }
        Ok(cols)
    }
}

/// Parses one pgoutput message (protocol version 1).
pub fn parse(data: Bytes) -> Result<Message, String> {
    let mut r = Reader { buf: data, pos: 0 };
    let tag = r.u8("tag")?;
    Ok(match tag {
        b'B' => Message::Begin {
            final_lsn: r.i64("final lsn")? as u64,
            commit_time: r.i64("commit time")?,
            xid: r.i32("xid")? as u32,
        },
        b'C' => Message::Commit {
            flags: r.u8("flags")?,
            commit_lsn: r.i64("commit lsn")? as u64,
            end_lsn: r.i64("end lsn")? as u64,
            commit_time: r.i64("commit time")?,
        },
        b'O' => Message::Origin {
            lsn: r.i64("origin lsn")? as u64,
            name: r.string("origin name")?,
        },
        b'R' => {
            let id = r.i32("relation id")? as u32;
            let namespace = r.string("namespace")?;
            let name = r.string("relation name")?;
            let replica_identity = r.u8("replica identity")?;
            let n = r.i16("column count")?;
            let mut columns = Vec::with_capacity(n.max(0) as usize);
            for _ in 0..n {
                columns.push(RelationColumn {
                    key: r.u8("column flags")? & 1 == 1,
                    name: r.string("column name")?,
                    type_oid: r.i32("type oid")? as u32,
                    type_modifier: r.i32("type modifier")?,
                });
            }
            Message::Relation(Relation {
                id,
                namespace,
                name,
                replica_identity,
                columns,
            })
        }
        b'Y' => Message::Type {
            id: r.i32("type id")? as u32,
            namespace: r.string("type namespace")?,
            name: r.string("type name")?,
        },
        b'I' => {
            let relation = r.i32("relation id")? as u32;
            match r.u8("new tuple marker")? {
                b'N' => {}
                other => return Err(format!("insert: expected N, found {:?}", other as char)),
            }
            Message::Insert {
                relation,
                new: r.tuple()?,
            }
        }
        b'U' => {
            let relation = r.i32("relation id")? as u32;
            let mut old = None;
            let mut marker = r.u8("tuple marker")?;
            if marker == b'K' || marker == b'O' {
                old = Some((marker, r.tuple()?));
                marker = r.u8("new tuple marker")?;
            }
            if marker != b'N' {
                return Err(format!("update: expected N, found {:?}", marker as char));
            }
            Message::Update {
                relation,
                old,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let relation = r.i32("relation id")? as u32;
            let kind = r.u8("old tuple marker")?;
            if kind != b'K' && kind != b'O' {
                return Err(format!("delete: expected K or O, found {:?}", kind as char));
            }
            Message::Delete {
                relation,
                kind,
                old: r.tuple()?,
            }
        }
        b'T' => {
            let n = r.i32("relation count")?;
            let options = r.u8("truncate options")?;
            let mut relations = Vec::with_capacity(n.max(0) as usize);
            for _ in 0..n {
                relations.push(r.i32("relation id")? as u32);
            }
            Message::Truncate { options, relations }
        }
        b'M' => {
            let flags = r.u8("message flags")?;
            let lsn = r.i64("message lsn")? as u64;
            let prefix = r.string("message prefix")?;
            let len = r.i32("message length")?;
            Message::LogicalMessage {
                transactional: flags & 1 == 1,
                lsn,
                prefix,
                content: r.bytes(len.max(0) as usize, "message content")?,
            }
        }
        other => {
            return Err(format!(
                "unsupported pgoutput message {:?} (crossdock speaks protocol version 1)",
                other as char
            ))
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builders of pgoutput messages, for tests.
    #[derive(Default)]
    pub struct Out(pub Vec<u8>);
    impl Out {
        pub fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        pub fn i16(mut self, v: i16) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn i32(mut self, v: i32) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn i64(mut self, v: i64) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn s(mut self, v: &str) -> Self {
            self.0.extend_from_slice(v.as_bytes());
            self.0.push(0);
            self
        }
        pub fn tuple(mut self, cols: &[Option<Option<&str>>]) -> Self {
            self = self.i16(cols.len() as i16);
            for c in cols {
                self = match c {
                    None => self.u8(b'u'),
                    Some(None) => self.u8(b'n'),
                    Some(Some(t)) => {
                        let s = self.u8(b't').i32(t.len() as i32);
                        let mut v = s.0;
                        v.extend_from_slice(t.as_bytes());
                        Out(v)
                    }
                };
            }
            self
        }
        pub fn bytes(self) -> Bytes {
            Bytes::from(self.0)
        }
    }

    #[test]
    fn parses_every_message_kind() {
        let rel = Out::default()
            .u8(b'R')
            .i32(16384)
            .s("public")
            .s("uom_uom")
            .u8(b'd')
            .i16(2)
            .u8(1)
            .s("id")
            .i32(23)
            .i32(-1)
            .u8(0)
            .s("factor")
            .i32(1700)
            .i32(-1);
        let Message::Relation(r) = parse(rel.bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.name, "uom_uom");
        assert!(r.columns[0].key && !r.columns[1].key);
        assert_eq!(r.columns[1].type_oid, 1700);

        let ins = Out::default()
            .u8(b'I')
            .i32(16384)
            .u8(b'N')
            .tuple(&[Some(Some("1")), Some(None)]);
        assert_eq!(
            parse(ins.bytes()).unwrap(),
            Message::Insert {
                relation: 16384,
                new: vec![Column::Text(Bytes::from_static(b"1")), Column::Null]
            }
        );
        let upd = Out::default()
            .u8(b'U')
            .i32(16384)
            .u8(b'O')
            .tuple(&[Some(Some("1")), Some(Some("big"))])
            .u8(b'N')
            .tuple(&[Some(Some("1")), None]);
        let Message::Update { old, new, .. } = parse(upd.bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(old.unwrap().0, b'O');
        assert_eq!(new[1], Column::Unchanged);
        let del = Out::default()
            .u8(b'D')
            .i32(16384)
            .u8(b'K')
            .tuple(&[Some(Some("1")), Some(None)]);
        assert!(matches!(
            parse(del.bytes()).unwrap(),
            Message::Delete { kind: b'K', .. }
        ));
        let tr = Out::default().u8(b'T').i32(2).u8(0).i32(1).i32(2);
        assert_eq!(
            parse(tr.bytes()).unwrap(),
            Message::Truncate {
                options: 0,
                relations: vec![1, 2]
            }
        );
        let b = Out::default().u8(b'B').i64(100).i64(5).i32(7);
        assert_eq!(
            parse(b.bytes()).unwrap(),
            Message::Begin {
                final_lsn: 100,
                commit_time: 5,
                xid: 7
            }
        );
        let c = Out::default().u8(b'C').u8(0).i64(100).i64(120).i64(5);
        assert!(matches!(
            parse(c.bytes()).unwrap(),
            Message::Commit { end_lsn: 120, .. }
        ));
        let y = Out::default().u8(b'Y').i32(99).s("public").s("mood");
        assert!(matches!(
            parse(y.bytes()).unwrap(),
            Message::Type { id: 99, .. }
        ));
        let m = Out::default()
            .u8(b'M')
            .u8(0)
            .i64(5)
            .s("crossdock")
            .i32(2)
            .u8(b'h')
            .u8(b'i');
        assert!(matches!(
            parse(m.bytes()).unwrap(),
            Message::LogicalMessage {
                transactional: false,
                ..
            }
        ));
    }

    #[test]
    fn truncated_and_unknown_messages_are_errors() {
        assert!(parse(Bytes::from_static(b"I\0\0")).is_err());
        assert!(parse(Bytes::from_static(b"Z")).is_err());
        let bad_kind = Out::default().u8(b'I').i32(1).u8(b'N').i16(1).u8(b'x');
        assert!(parse(bad_kind.bytes()).unwrap_err().contains("kind"));
    }
}
