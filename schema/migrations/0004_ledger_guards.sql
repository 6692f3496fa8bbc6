-- The ledger is double-entry and append-only. A transaction whose entries do not sum to zero
-- (or that has fewer than two entries) cannot commit: deferred constraint triggers check each
-- touched transaction at COMMIT, after all its entries are in. Rows are never changed or
-- removed; corrections are reversing transactions.
CREATE FUNCTION openhall_ledger_assert_balanced(transaction_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  entry_count integer;
  total numeric;
BEGIN
  SELECT count(*), coalesce(sum(e.amount_fen), 0) INTO entry_count, total
    FROM ledger_entries e WHERE e.transaction_id = openhall_ledger_assert_balanced.transaction_id;
  IF entry_count < 2 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to % fen', transaction_id, entry_count, total
      USING ERRCODE = 'check_violation';
  END IF;
END
$$;
--> statement-breakpoint
CREATE FUNCTION openhall_ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM openhall_ledger_assert_balanced(NEW.transaction_id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION openhall_ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM openhall_ledger_assert_balanced(NEW.id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION openhall_ledger_entry_balanced();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION openhall_ledger_transaction_balanced();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER payment_notice_items_append_only BEFORE UPDATE OR DELETE ON payment_notice_items
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER bank_statement_lines_append_only BEFORE UPDATE OR DELETE ON bank_statement_lines
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER remittance_lines_append_only BEFORE UPDATE OR DELETE ON remittance_lines
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
-- A receipt is fixed when issued; only its signature may be added, once.
CREATE FUNCTION openhall_receipt_sign_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.signature IS NOT NULL OR NEW.signature IS NULL
     OR (NEW.id, NEW.number, NEW.payment_id, NEW.document, NEW.issued_at) IS DISTINCT FROM (OLD.id, OLD.number, OLD.payment_id, OLD.document, OLD.issued_at) THEN
    RAISE EXCEPTION 'receipt % cannot be changed', OLD.number USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER receipts_sign_once BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION openhall_receipt_sign_once();
--> statement-breakpoint
INSERT INTO ledger_accounts (code, name, name_en, normal_side) VALUES
  ('receivable', '应收缴款', 'Payments receivable', 'debit'),
  ('billed', '已开具缴款通知', 'Payment notices billed', 'credit'),
  ('bank_clearing', '银行收款过渡户', 'Bank clearing account', 'debit'),
  ('non_tax_revenue', '应缴非税收入', 'Non-tax revenue to remit', 'credit'),
  ('bond_custody', '代管保证金', 'Bonds and deposits held', 'credit'),
  ('refunds_payable', '应退保证金', 'Refunds payable', 'credit'),
  ('suspense', '待查明款项', 'Suspense (unexplained receipts)', 'credit');
--> statement-breakpoint
-- A fee version is decided once; its standard never changes (new standards are new versions).
CREATE FUNCTION openhall_fee_version_decide_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.status <> 'proposed'
     OR to_jsonb(NEW) - ARRAY['status', 'decided_by', 'decided_at', 'decision_note'] <> to_jsonb(OLD) - ARRAY['status', 'decided_by', 'decided_at', 'decision_note'] THEN
    RAISE EXCEPTION 'fee item version % cannot be changed', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER fee_item_versions_decide_once BEFORE UPDATE OR DELETE ON fee_item_versions
  FOR EACH ROW EXECUTE FUNCTION openhall_fee_version_decide_once();
