import { provideExperimentalZonelessChangeDetection } from "@angular/core";
import { bootstrapApplication } from "@angular/platform-browser";
import { provideNioChat } from "niochat/angular";
import { ChatComponent, settings } from "./chat.component";

bootstrapApplication(ChatComponent, {
  providers: [
    provideExperimentalZonelessChangeDetection(),
    provideNioChat({ url: settings.url, token: settings.token, key: `angular-example:${settings.user}` }),
  ],
}).catch((error: unknown) => console.error(error));
