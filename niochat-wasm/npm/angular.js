// Angular bindings: `provideNioChat(options)` in the application's providers, then
// `inject(NIOCHAT)` gives a `NioChatService`: the page's client for these options, its status
// as an RxJS observable, and `events(type)` as observables. No decorators: an InjectionToken
// and a factory, so that the package needs no Angular compiler.
import { DestroyRef, InjectionToken, inject } from "@angular/core";
import { BehaviorSubject, Observable, ReplaySubject } from "rxjs";
import { acquire, release } from "./shared.js";

export class NioChatService {
  constructor(options, destroyRef) {
    this.entry = acquire(options);
    this.client = null;
    this.status$ = new BehaviorSubject({ name: "disconnected" });
    this.error$ = new BehaviorSubject(null);
    this.clients = new ReplaySubject(1);
    this.client$ = this.clients.asObservable();
    this.onStatus = (event) => this.status$.next(event.status);
    this.entry.client.then(
      (client) => {
        if (this.entry === null) return;
        this.client = client;
        client.on("status", this.onStatus);
        this.status$.next(client.status);
        this.clients.next(client);
      },
      (failed) => this.entry !== null && this.error$.next(failed),
    );
    destroyRef?.onDestroy(() => this.destroy());
  }

  /** Every event of `type`, as an observable (subscribing before the client exists is fine). */
  events(type) {
    return new Observable((subscriber) => {
      let attached = null;
      const listener = (event) => subscriber.next(event);
      const subscription = this.client$.subscribe((client) => {
        attached = client;
        client.on(type, listener);
      });
      return () => {
        subscription.unsubscribe();
        attached?.off(type, listener);
      };
    });
  }

  destroy() {
    if (this.entry === null) return;
    const entry = this.entry;
    this.entry = null;
    this.client?.off("status", this.onStatus);
    this.status$.complete();
    this.error$.complete();
    this.clients.complete();
    release(entry);
  }
}

/** The injection token of the application's `NioChatService`. */
export const NIOCHAT = new InjectionToken("niochat");

/** Providers for `bootstrapApplication(App, { providers: [provideNioChat(options)] })`. */
export function provideNioChat(options) {
  return [{ provide: NIOCHAT, useFactory: () => new NioChatService(options, inject(DestroyRef)) }];
}
