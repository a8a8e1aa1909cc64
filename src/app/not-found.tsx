import Link from "next/link";

export default function NotFound() {
  return (
    <section className="card narrow">
      <h1>Not found</h1>
      <p>There is nothing at this address.</p>
      <p className="actions">
        <Link className="button" href="/">
          Home
        </Link>
      </p>
    </section>
  );
}
