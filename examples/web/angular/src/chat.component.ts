import { Component, DestroyRef, inject, signal } from "@angular/core";
import { AsyncPipe } from "@angular/common";
import { NIOCHAT } from "niochat/angular";
import type { ChatMessage } from "niochat";

/** Where to connect, from the page's query: `?url=ws://…&token=…&room=…&user=…`. */
const query = new URLSearchParams(window.location.search);
export const settings = {
  url: query.get("url") ?? "ws://127.0.0.1:8000/ws",
  token: query.get("token") ?? "",
  room: query.get("room") ?? "support",
  user: query.get("user") ?? "agent",
};

@Component({
  selector: "chat-root",
  standalone: true,
  imports: [AsyncPipe],
  template: `
    <main>
      <h1>{{ user }} in {{ room }}</h1>
      <p data-testid="status">{{ (chat.status$ | async)?.name }}</p>
      <ul>
        @for (message of messages(); track message.id) {
          <li data-testid="message">{{ message.userId }}: {{ message.text }}</li>
        }
      </ul>
      <form (submit)="send($event)">
        <input data-testid="draft" #draft (input)="text = draft.value" [value]="text" placeholder="Write a message" />
        <button type="submit">Send</button>
      </form>
    </main>
  `,
})
export class ChatComponent {
  protected readonly chat = inject(NIOCHAT);
  protected readonly user = settings.user;
  protected readonly room = settings.room;
  protected readonly messages = signal<ChatMessage[]>([]);
  protected text = "";

  constructor() {
    const joined = this.chat.client$.subscribe((client) => {
      client.join(settings.room).catch(() => undefined);
    });
    const received = this.chat.events("message").subscribe(({ message }) => {
      if (message.conversationId === settings.room) this.messages.update((all) => [...all, message]);
    });
    inject(DestroyRef).onDestroy(() => {
      joined.unsubscribe();
      received.unsubscribe();
    });
  }

  protected send(event: Event): void {
    event.preventDefault();
    const text = this.text.trim();
    const client = this.chat.client;
    if (client === null || text === "") return;
    this.text = "";
    client.sendMessage(settings.room, text).catch(() => undefined);
  }
}
