/**
 * Mocked Google Fonts answers for `next/font/google`, so the fixture app (create-next-app's
 * layout loads Geist and Geist Mono) builds without the network. Next reads this file when
 * NEXT_FONT_GOOGLE_MOCKED_RESPONSES points at it: a map from the CSS URL it would fetch to the
 * CSS. The faces point at a font of the machine (`local()`), not at a URL: Turbopack would try
 * to download a font file URL even when mocked.
 */
const face = (family) => `
@font-face {
  font-family: '${family}';
  font-style: normal;
  font-weight: 100 900;
  font-display: swap;
  src: local('DejaVu Sans');
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD;
}
`;

module.exports = {
  "https://fonts.googleapis.com/css2?family=Geist:wght@100..900&display=swap": face("Geist"),
  "https://fonts.googleapis.com/css2?family=Geist+Mono:wght@100..900&display=swap": face("Geist Mono"),
};
