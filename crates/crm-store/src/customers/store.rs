//! The one body of [`super::CustomerStore`] that both backends instantiate, so that SQLite and
//! PostgreSQL cannot drift apart (the pattern of `crate::sql::impl_service_request_store`).

/// Inserts one validated customer row on `$tx`; evaluates to its id.
macro_rules! insert_customer_row {
    ($tx:expr, $valid:expr, $pin_hash:expr, $now:expr) => {{
        let valid: &$crate::customers::validate::ValidDraft = $valid;
        let id: i64 = sqlx::query_scalar($crate::customers::sql::INSERT_CUSTOMER)
            .bind(valid.kind)
            .bind(&valid.display_name)
            .bind(&valid.display_name_key)
            .bind(&valid.given_name)
            .bind(&valid.family_name)
            .bind(&valid.family_name_key)
            .bind(&valid.tax_code)
            .bind(&valid.vat_number)
            .bind($pin_hash)
            .bind(valid.guest)
            .bind($now)
            .fetch_one(&mut *$tx)
            .await?;
        id
    }};
}

/// Inserts the phones and e-mails of customer `$id` on `$tx`, one row at a time.
macro_rules! insert_children {
    ($tx:expr, $id:expr, $valid:expr) => {{
        let valid: &$crate::customers::validate::ValidDraft = $valid;
        for (position, phone) in (0_i64..).zip(&valid.phones) {
            sqlx::query($crate::customers::sql::INSERT_PHONE)
                .bind($id)
                .bind(position)
                .bind(&phone.label)
                .bind(&phone.number)
                .bind(&phone.e164)
                .bind(&phone.key)
                .execute(&mut *$tx)
                .await?;
        }
        for (position, email) in (0_i64..).zip(&valid.emails) {
            sqlx::query($crate::customers::sql::INSERT_EMAIL)
                .bind($id)
                .bind(position)
                .bind(&email.label)
                .bind(&email.address)
                .bind(&email.key)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Implements [`crate::customers::CustomerStore`] for a store type with fields `pool` and
/// `clock` and a method `begin_write()`, like `impl_service_request_store!`.
macro_rules! impl_customer_store {
    ($store:ty) => {
        impl $store {
            /// Adds their phones and e-mails to customer rows, keeping the rows' order.
            async fn customers_from_rows(
                &self,
                rows: Vec<$crate::customers::sql::CustomerRow>,
            ) -> Result<Vec<$crate::customers::Customer>, $crate::StoreError> {
                use $crate::customers::sql;
                let ids: Vec<i64> = rows.iter().map(sql::CustomerRow::id).collect();
                let mut phones: Vec<sql::PhoneRow> = Vec::new();
                let mut emails: Vec<sql::EmailRow> = Vec::new();
                for chunk in ids.chunks(sql::MAX_IDS_PER_LOOKUP) {
                    let Some((phones_sql, emails_sql, padded)) = sql::children_of(chunk) else {
                        continue;
                    };
                    let mut query = sqlx::query_as::<_, sql::PhoneRow>(phones_sql);
                    for id in &padded {
                        query = query.bind(*id);
                    }
                    phones.extend(query.fetch_all(&self.pool).await?);
                    let mut query = sqlx::query_as::<_, sql::EmailRow>(emails_sql);
                    for id in &padded {
                        query = query.bind(*id);
                    }
                    emails.extend(query.fetch_all(&self.pool).await?);
                }
                sql::assemble(rows, phones, emails)
            }
        }

        impl $crate::customers::CustomerStore for $store {
            async fn create_customer(
                &self,
                draft: $crate::customers::CustomerDraft,
                plan: &common::phone::NumberingPlan,
            ) -> Result<$crate::customers::Customer, $crate::StoreError> {
                use $crate::customers::{CustomerId, pin, validate::ValidPin};
                let valid = draft.validate(plan)?;
                let pin_hash = match &valid.pin {
                    ValidPin::Set(value) => Some(pin::hash(value.clone()).await?),
                    ValidPin::Keep | ValidPin::Clear => None,
                };
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let id = $crate::customers::store::insert_customer_row!(tx, &valid, pin_hash, now);
                $crate::customers::store::insert_children!(tx, id, &valid);
                tx.commit().await?;
                self.get_customer(CustomerId(id))
                    .await?
                    .ok_or($crate::StoreError::CustomerNotFound)
            }

            async fn import_customers(
                &self,
                drafts: Vec<$crate::customers::CustomerDraft>,
                plan: &common::phone::NumberingPlan,
            ) -> Result<Vec<$crate::customers::CustomerId>, $crate::StoreError> {
                use $crate::customers::validate::ValidPin;
                use $crate::customers::{CustomerId, MAX_IMPORT_BATCH, pin, sql};
                if drafts.len() > MAX_IMPORT_BATCH {
                    return Err($crate::StoreError::InvalidInput(
                        "an import batch has more than 1000 customers",
                    ));
                }
                let mut valid = Vec::with_capacity(drafts.len());
                for (index, draft) in drafts.iter().enumerate() {
                    valid.push(draft.validate(plan).map_err(|error| {
                        $crate::StoreError::InvalidCustomerInBatch { index, error }
                    })?);
                }
                let mut hashes = Vec::with_capacity(valid.len());
                for v in &valid {
                    hashes.push(match &v.pin {
                        ValidPin::Set(value) => Some(pin::hash(value.clone()).await?),
                        ValidPin::Keep | ValidPin::Clear => None,
                    });
                }
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let mut ids = Vec::with_capacity(valid.len());
                for (v, hash) in valid.iter().zip(&hashes) {
                    let id = $crate::customers::store::insert_customer_row!(tx, v, hash, now);
                    ids.push(id);
                }
                let phones: Vec<(i64, i64, &$crate::customers::validate::ValidPhone)> = ids
                    .iter()
                    .zip(&valid)
                    .flat_map(|(&id, v)| {
                        (0_i64..)
                            .zip(&v.phones)
                            .map(move |(p, phone)| (id, p, phone))
                    })
                    .collect();
                for chunk in phones.chunks(sql::CHILD_CHUNK) {
                    if chunk.len() == sql::CHILD_CHUNK {
                        let mut query =
                            sqlx::query(sqlx::AssertSqlSafe(sql::INSERT_PHONES_CHUNK.as_str()));
                        for (id, position, phone) in chunk {
                            query = query
                                .bind(*id)
                                .bind(*position)
                                .bind(&phone.label)
                                .bind(&phone.number)
                                .bind(&phone.e164)
                                .bind(&phone.key);
                        }
                        query.execute(&mut *tx).await?;
                    } else {
                        for (id, position, phone) in chunk {
                            sqlx::query(sql::INSERT_PHONE)
                                .bind(*id)
                                .bind(*position)
                                .bind(&phone.label)
                                .bind(&phone.number)
                                .bind(&phone.e164)
                                .bind(&phone.key)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                let emails: Vec<(i64, i64, &$crate::customers::validate::ValidEmail)> = ids
                    .iter()
                    .zip(&valid)
                    .flat_map(|(&id, v)| {
                        (0_i64..)
                            .zip(&v.emails)
                            .map(move |(p, email)| (id, p, email))
                    })
                    .collect();
                for chunk in emails.chunks(sql::CHILD_CHUNK) {
                    if chunk.len() == sql::CHILD_CHUNK {
                        let mut query =
                            sqlx::query(sqlx::AssertSqlSafe(sql::INSERT_EMAILS_CHUNK.as_str()));
                        for (id, position, email) in chunk {
                            query = query
                                .bind(*id)
                                .bind(*position)
                                .bind(&email.label)
                                .bind(&email.address)
                                .bind(&email.key);
                        }
                        query.execute(&mut *tx).await?;
                    } else {
                        for (id, position, email) in chunk {
                            sqlx::query(sql::INSERT_EMAIL)
                                .bind(*id)
                                .bind(*position)
                                .bind(&email.label)
                                .bind(&email.address)
                                .bind(&email.key)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(ids.into_iter().map(CustomerId).collect())
            }

            async fn update_customer(
                &self,
                id: $crate::customers::CustomerId,
                expected_revision: i64,
                draft: $crate::customers::CustomerDraft,
                plan: &common::phone::NumberingPlan,
            ) -> Result<$crate::customers::Customer, $crate::StoreError> {
                use $crate::customers::{pin, sql, validate::ValidPin};
                let valid = draft.validate(plan)?;
                let (change_pin, pin_hash) = match &valid.pin {
                    ValidPin::Keep => (false, None),
                    ValidPin::Clear => (true, None),
                    ValidPin::Set(value) => (true, Some(pin::hash(value.clone()).await?)),
                };
                let now = self.clock.now_unix_ms();
                let mut tx = self.begin_write().await?;
                let updated: Option<i64> = sqlx::query_scalar(sql::UPDATE_CUSTOMER)
                    .bind(id.0)
                    .bind(expected_revision)
                    .bind(valid.kind)
                    .bind(&valid.display_name)
                    .bind(&valid.display_name_key)
                    .bind(&valid.given_name)
                    .bind(&valid.family_name)
                    .bind(&valid.family_name_key)
                    .bind(&valid.tax_code)
                    .bind(&valid.vat_number)
                    .bind(change_pin)
                    .bind(pin_hash)
                    .bind(valid.guest)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if updated.is_none() {
                    let current: Option<i64> = sqlx::query_scalar(sql::REVISION_OF)
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                    tx.rollback().await?;
                    return Err(match current {
                        Some(current) => $crate::StoreError::RevisionConflict {
                            expected: expected_revision,
                            current,
                        },
                        None => $crate::StoreError::CustomerNotFound,
                    });
                }
                sqlx::query(sql::DELETE_PHONES)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::DELETE_EMAILS)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                $crate::customers::store::insert_children!(tx, id.0, &valid);
                tx.commit().await?;
                self.get_customer(id)
                    .await?
                    .ok_or($crate::StoreError::CustomerNotFound)
            }

            async fn get_customer(
                &self,
                id: $crate::customers::CustomerId,
            ) -> Result<Option<$crate::customers::Customer>, $crate::StoreError> {
                let row: Option<$crate::customers::sql::CustomerRow> =
                    sqlx::query_as($crate::customers::sql::BY_ID)
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(self
                    .customers_from_rows(row.into_iter().collect())
                    .await?
                    .pop())
            }

            async fn customers_by_number(
                &self,
                number: &str,
                plan: &common::phone::NumberingPlan,
                limit: u32,
            ) -> Result<$crate::customers::CustomerMatches, $crate::StoreError> {
                use $crate::customers::{CustomerMatches, MAX_NUMBER_MATCHES, sql, validate};
                let Some(key) = validate::caller_key(number, plan)? else {
                    return Ok(CustomerMatches::default());
                };
                let limit = limit.clamp(1, MAX_NUMBER_MATCHES);
                let mut rows: Vec<sql::CustomerRow> = sqlx::query_as(sql::BY_NUMBER)
                    .bind(key)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?;
                let more = rows.len() > limit as usize;
                rows.truncate(limit as usize);
                Ok(CustomerMatches {
                    customers: self.customers_from_rows(rows).await?,
                    more,
                })
            }

            async fn customer_by_pin(
                &self,
                id: $crate::customers::CustomerId,
                pin: common::Pii<String>,
            ) -> Result<Option<$crate::customers::Customer>, $crate::StoreError> {
                use $crate::customers::{sql, validate};
                let pin = pin.into_inner();
                if pin.len() > validate::customer_limits::PIN_MAX_DIGITS {
                    return Err($crate::customers::CustomerInputError::TooLong {
                        field: $crate::customers::CustomerField::Pin,
                        max: validate::customer_limits::PIN_MAX_DIGITS,
                    }
                    .into());
                }
                let stored: Option<Option<String>> = sqlx::query_scalar(sql::PIN_HASH_OF)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?;
                // Unknown customer, no PIN, or a PIN no customer can have: the dummy hash is
                // checked instead, so every answer takes one argon2 verification.
                let stored = stored.flatten().filter(|_| validate::pin(&pin).is_ok());
                if $crate::customers::pin::verify(pin, stored).await? {
                    self.get_customer(id).await
                } else {
                    Ok(None)
                }
            }

            async fn search_customers(
                &self,
                query: $crate::customers::CustomerQuery,
            ) -> Result<Vec<$crate::customers::Customer>, $crate::StoreError> {
                use $crate::customers::{SearchBy, sql};
                let valid = query.validate()?;
                let statement = match query.by {
                    SearchBy::Name(_) => sql::SEARCH_NAME,
                    SearchBy::TaxCode(_) => sql::SEARCH_TAX_CODE,
                    SearchBy::Email(_) => sql::SEARCH_EMAIL,
                };
                let rows: Vec<sql::CustomerRow> = sqlx::query_as(statement)
                    .bind(valid.from)
                    .bind(valid.until)
                    .bind(valid.limit)
                    .bind(valid.offset)
                    .fetch_all(&self.pool)
                    .await?;
                self.customers_from_rows(rows).await
            }

            async fn recent_service_requests(
                &self,
                id: $crate::customers::CustomerId,
                limit: u32,
            ) -> Result<Vec<$crate::customers::RecentServiceRequest>, $crate::StoreError> {
                use $crate::customers::{MAX_RECENT_REQUESTS, sql};
                let limit = limit.clamp(1, MAX_RECENT_REQUESTS);
                let rows: Vec<sql::RecentRow> = sqlx::query_as(sql::RECENT_REQUESTS)
                    .bind(id.to_string())
                    .bind(id.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn mark_discrepancy(
                &self,
                id: $crate::customers::CustomerId,
                note: common::Pii<String>,
            ) -> Result<$crate::customers::Customer, $crate::StoreError> {
                use $crate::customers::{sql, validate};
                let note = validate::discrepancy_note(note.expose())?;
                let marked: Option<i64> = sqlx::query_scalar(sql::MARK_DISCREPANCY)
                    .bind(id.0)
                    .bind(note)
                    .bind(self.clock.now_unix_ms())
                    .fetch_optional(&self.pool)
                    .await?;
                if marked.is_none() {
                    return Err($crate::StoreError::CustomerNotFound);
                }
                self.get_customer(id)
                    .await?
                    .ok_or($crate::StoreError::CustomerNotFound)
            }

            async fn clear_discrepancy(
                &self,
                id: $crate::customers::CustomerId,
            ) -> Result<$crate::customers::Customer, $crate::StoreError> {
                use $crate::customers::sql;
                // Clearing a customer without a discrepancy changes nothing, revision included.
                let _cleared: Option<i64> = sqlx::query_scalar(sql::CLEAR_DISCREPANCY)
                    .bind(id.0)
                    .bind(self.clock.now_unix_ms())
                    .fetch_optional(&self.pool)
                    .await?;
                self.get_customer(id)
                    .await?
                    .ok_or($crate::StoreError::CustomerNotFound)
            }
        }
    };
}

pub(crate) use {impl_customer_store, insert_children, insert_customer_row};
