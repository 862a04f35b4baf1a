// The app's pages, declared once: the fragment that names each (`#/goals`), its link in the main
// nav, its one `<h1>`, its component, and whether only admins see it. The router, the nav and the
// page shown all read this table.
import type { ComponentType } from "preact";
import { TodayPage } from "./pages/today";
import { GoalsPage } from "./pages/goals";
import { QuestsPage } from "./pages/quests";
import { WorkoutsPage } from "./pages/workouts";
import { BooksPage } from "./pages/books";
import { FocusPage } from "./pages/focus";
import { ShopPage } from "./pages/shop";
import { AchievementsPage } from "./pages/achievements";
import { SettingsPage } from "./pages/settings";
import { TokensPage } from "./pages/tokens";
import { AccountPage } from "./pages/account";
import { AdminPage } from "./pages/admin";

export interface SignedInPage {
  route: string;
  /** The main nav's link. */
  label: string;
  /** The page's heading, when it says more than the link. */
  title?: string;
  Page: ComponentType;
  adminOnly?: boolean;
}

export const signedInPages = [
  { route: "today", label: "Today", Page: TodayPage },
  { route: "goals", label: "Goals", Page: GoalsPage },
  { route: "quests", label: "Quests", Page: QuestsPage },
  { route: "workouts", label: "Workouts", Page: WorkoutsPage },
  { route: "books", label: "Books", Page: BooksPage },
  { route: "focus", label: "Focus", Page: FocusPage },
  { route: "shop", label: "Shop", Page: ShopPage },
  { route: "achievements", label: "Achievements", Page: AchievementsPage },
  { route: "settings", label: "Settings", Page: SettingsPage },
  { route: "tokens", label: "Tokens", title: "API tokens", Page: TokensPage },
  { route: "account", label: "Account", Page: AccountPage },
  { route: "admin", label: "Admin", Page: AdminPage, adminOnly: true },
] as const satisfies readonly SignedInPage[];

export type PageRoute = (typeof signedInPages)[number]["route"];
export type Route = "signin" | PageRoute;

export function pageOf(route: Route | null): SignedInPage | undefined {
  return signedInPages.find((page) => page.route === route);
}

export function isRoute(name: string): name is Route {
  return name === "signin" || signedInPages.some((page) => page.route === name);
}
