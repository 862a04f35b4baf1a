// Books: a reading list; finishing a book awards once per book.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { EmptyList, useItemActions, useWorkspace } from "../session";
import { Alert, Field, FormCard, Section, Select, useAction } from "../ui";

type Book = Schemas["Book"];

const statuses = [["want_to_read", "Want to read"], ["reading", "Reading"], ["finished", "Finished"], ["abandoned", "Abandoned"]] as const;
const statusNames: Record<Book["status"], string> = Object.fromEntries(statuses) as Record<Book["status"], string>;

export function BooksPage() {
  const { items, createWithId } = useWorkspace();
  const books = items<Book>("book").sort((a, b) => b.created_at.localeCompare(a.created_at));
  const [title, setTitle] = useState("");
  const [author, setAuthor] = useState("");
  const [status, setStatus] = useState<Book["status"]>("want_to_read");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const body = { title: title.trim(), author: author.trim(), status };
      await createWithId("book", "/api/books", body, { rating: null, pages: null, started_on: null, finished_on: null });
      setTitle("");
      setAuthor("");
    });

  return (
    <>
      <FormCard title="New book" onSubmit={() => void add()}>
        <div class="row">
          <Field label="Book title" required maxLength={200} value={title} onInput={setTitle} />
          <Field label="Author" maxLength={200} value={author} onInput={setAuthor} />
          <Select label="Status" value={status} onChange={(value) => setStatus(value as Book["status"])} options={statuses} />
        </div>
        <button type="submit" disabled={busy}>Add book</button>
      </FormCard>
      <Alert message={error} />
      <Section title="Reading list">
        {books.length === 0 ? <EmptyList>No books yet.</EmptyList> : (
          <ul class="items">{books.map((book) => <BookItem key={book.id} book={book} />)}</ul>
        )}
      </Section>
    </>
  );
}

function BookItem({ book }: { book: Book }) {
  const { error, busy, act, remove } = useItemActions("book", "/api/books", book);
  return (
    <li class={book.status === "finished" ? "item done" : "item"}>
      <div class="item-head">
        <h3>{book.title}</h3>
        <p class="meta">
          {book.author && <span>by {book.author}</span>}
          <span>{statusNames[book.status]}</span>
          {book.finished_on && <span>Finished {book.finished_on}</span>}
        </p>
      </div>
      <div class="actions">
        {book.status !== "finished" && (
          <button type="button" disabled={busy} onClick={() => void act("PATCH", "", { status: "finished" }, { status: "finished" })}>
            Finish {book.title}
          </button>
        )}
        <button type="button" class="danger" disabled={busy} onClick={(event) => void remove(event.currentTarget)}>Delete {book.title}</button>
      </div>
      <Alert message={error} />
    </li>
  );
}
